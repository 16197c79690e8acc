/**
 * IdpSessions: the gateway sessions that one OpenID Provider login stands behind, so that a
 * back-channel logout ends exactly those (Back-Channel Logout 1.0 §2.5, §2.7). One Durable
 * Object per key, and two kinds of key, both scoped by the issuer because `sid` and `sub` are
 * unique only within one provider (OIDC Core §2; SECURITY-CHECKLIST L-04):
 *
 * - `["sid", iss, sid]`: the sessions created from the provider session `sid`;
 * - `["sub", iss, sub]`: every session of the provider's subject `sub` (for a logout token
 *   that carries only `sub`). This is the provider's `sub`, whatever OIDC_SUB_CLAIM maps.
 *
 * Like UserSessions it holds public ids only: a session adds itself at creation and removes
 * itself when it ends; an alarm at the earliest absolute expiry drops anything left behind,
 * and an index that becomes empty deletes its storage.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { logError } from "../log";
import { IndexTable } from "./index-table";
import { sessionStub } from "../session/stubs";
import type { EndReason, IdpLink } from "../session/types";

export type IdpIndexKey = readonly ["sid" | "sub", string, string];

export function idpSessionsStub(env: Env, key: IdpIndexKey) {
  return env.IDP_SESSIONS.get(env.IDP_SESSIONS.idFromName(JSON.stringify(key)));
}

/** The indexes a session with this provider link belongs to. */
export function idpIndexKeys(idp: IdpLink): IdpIndexKey[] {
  const keys: IdpIndexKey[] = [["sub", idp.iss, idp.sub]];
  if (idp.sid) keys.push(["sid", idp.iss, idp.sid]);
  return keys;
}

/** Called by SessionObject.create: throws if an index could not record the session. */
export async function addToIdpIndexes(env: Env, idp: IdpLink, publicId: string, absoluteExpiresAt: number): Promise<void> {
  await Promise.all(idpIndexKeys(idp).map((key) => idpSessionsStub(env, key).add(publicId, absoluteExpiresAt)));
}

/** Called when a session ends. A failure only leaves a row that the index's alarm drops. */
export async function removeFromIdpIndexes(env: Env, idp: IdpLink, publicId: string): Promise<void> {
  const results = await Promise.allSettled(idpIndexKeys(idp).map((key) => idpSessionsStub(env, key).remove(publicId)));
  for (const result of results) {
    if (result.status === "rejected") logError("idp_index.remove_failed", { session: publicId, error: String(result.reason) });
  }
}

export class IdpSessions extends DurableObject<Env> {
  readonly #table = new IndexTable(this.ctx.storage);

  async add(publicId: string, absoluteExpiresAt: number): Promise<void> {
    this.#table.record(publicId, absoluteExpiresAt);
    await this.#table.scheduleCleanup();
  }

  async remove(publicId: string): Promise<void> {
    this.#table.forget(publicId);
    await this.#table.scheduleCleanup();
  }

  /**
   * Revokes every listed session and answers once each has answered (the sessions also leave
   * the user index). Throws if any revoke failed; those ids stay listed for a retry.
   */
  async revokeAll(reason: EndReason): Promise<number> {
    const revoked = await this.#table.revokeRows(this.#table.rows(), (id) => sessionStub(this.env, id).revoke(reason));
    await this.#table.scheduleCleanup();
    return revoked;
  }

  override async alarm(): Promise<void> {
    this.#table.forgetExpired(Date.now());
    await this.#table.scheduleCleanup();
  }
}
