/**
 * A service credential's token (docs/service-credentials.md): `gws_<id>.<secret>.<mac>`.
 *
 * - `gws_` so that secret scanners can find a leaked one;
 * - `id` (128 random bits) names the credential's Durable Object and is what logs and the admin
 *   API show; knowing it never lets anyone use the credential;
 * - `secret` (128 random bits) proves possession; the object keeps only its SHA-256;
 * - `mac` is HMAC-SHA-256 with the SESSION_SECRET keys (the first signs, every one verifies)
 *   over `gws1:<id>.<secret>`: a domain of its own, so a session token (`v1:`) never passes as
 *   a service token, nor the reverse.
 *
 * The shape, the exact length check before any parsing and the MAC are the session token's
 * (session/token.ts); a malformed or forged token is refused here, before any Durable Object.
 */
import { checkSignedPair, isPublicId, mintSignedPair, SIGNED_PAIR_LENGTH, type SessionKeys } from "../session/token";

/** Every service token starts with this. */
export const SERVICE_TOKEN_PREFIX = "gws_";
/** A service token is exactly this long (93 characters). */
export const SERVICE_TOKEN_LENGTH = SERVICE_TOKEN_PREFIX.length + SIGNED_PAIR_LENGTH;
/** What the MAC covers besides the parts: never a session token's `v1`. */
const SERVICE_DOMAIN = "gws1";

export interface ServiceTokenParts {
  readonly id: string;
  readonly secret: string;
}

export type CheckedServiceToken = ({ readonly ok: true } & ServiceTokenParts) | { readonly ok: false; readonly reason: "malformed" | "forged" };

/**
 * A new credential's id, secret and token (the token is shown once, never stored); with `id`,
 * a new secret for that credential (a rotation).
 */
export async function mintServiceToken(keys: SessionKeys, id?: string): Promise<ServiceTokenParts & { readonly token: string }> {
  const minted = await mintSignedPair(keys, SERVICE_DOMAIN, id);
  return { id: minted.id, secret: minted.secret, token: `${SERVICE_TOKEN_PREFIX}${minted.token}` };
}

/** The token's parts when its MAC verifies under any key, otherwise null. Never throws. */
export async function verifyServiceToken(keys: SessionKeys, token: string): Promise<ServiceTokenParts | null> {
  const checked = await checkServiceToken(keys, token);
  return checked.ok ? { id: checked.id, secret: checked.secret } : null;
}

/** As verifyServiceToken, saying for the log whether a refused token was malformed or forged. */
export async function checkServiceToken(keys: SessionKeys, token: string): Promise<CheckedServiceToken> {
  if (token.length !== SERVICE_TOKEN_LENGTH || !token.startsWith(SERVICE_TOKEN_PREFIX)) return { ok: false, reason: "malformed" };
  return checkSignedPair(keys, SERVICE_DOMAIN, token.slice(SERVICE_TOKEN_PREFIX.length));
}

/** A credential id: 16 bytes in canonical base64url, the shape of a session's public id. */
export function isServiceId(id: string): boolean {
  return isPublicId(id);
}
