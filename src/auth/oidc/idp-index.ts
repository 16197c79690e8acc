/**
 * The identity-provider indexes a session from an OIDC login is listed in (IdpSessions
 * Durable Objects), both scoped by the issuer because `sid` and `sub` are unique only within
 * one provider (OIDC Core §2):
 *
 * - `["sid", iss, sid]`: the sessions created from the provider session `sid`;
 * - `["sub", iss, sub]`: every session of the provider's subject (for a logout token that
 *   carries only `sub`). This is the provider's `sub`, whatever OIDC_SUB_CLAIM maps.
 */
import type { IndexRef } from "../../session/types";

export type IdpIndexKey = readonly ["sid" | "sub", string, string];

export function idpIndex(key: IdpIndexKey): IndexRef {
  return { kind: "idp", name: JSON.stringify(key) };
}

/** What the provider said about a session it stands behind. */
export interface IdpLink {
  readonly iss: string;
  readonly sub: string;
  readonly sid?: string;
}

export function idpIndexes(idp: IdpLink): IndexRef[] {
  const refs = [idpIndex(["sub", idp.iss, idp.sub])];
  if (idp.sid) refs.push(idpIndex(["sid", idp.iss, idp.sid]));
  return refs;
}
