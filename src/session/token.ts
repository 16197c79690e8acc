/**
 * The session token: `<publicId>.<secret>.<mac>`, each part base64url without padding.
 *
 * - `publicId` (128 random bits) names the session: it locates the SessionObject and is shown
 *   in logs, `X-Auth-Session` and the admin API. Knowing it never lets anyone use the session.
 * - `secret` (128 random bits, OWASP ASVS 5.0 §7.2.3) is what proves possession; the Durable
 *   Object keeps only its SHA-256.
 * - `mac` is HMAC-SHA-256 over `v1:<publicId>.<secret>` with the first SESSION_SECRET key, so
 *   a forged, truncated or garbage token is refused here, before any Durable Object is woken.
 *   Service tokens (services/token.ts) share this shape under another domain (`gws1:`).
 *
 * Only WebCrypto: `crypto.getRandomValues` and `crypto.subtle` (whose verify is constant-time).
 */
import { base64url, fromBase64url, hex } from "../http/encoding";

export interface SessionKeys {
  /** Signs new tokens: the first key of SESSION_SECRET. */
  readonly signing: CryptoKey;
  /** Verify tokens: every key of SESSION_SECRET, the signing key first. */
  readonly verifying: readonly CryptoKey[];
}

export interface TokenParts {
  readonly publicId: string;
  readonly secret: string;
}

export interface MintedToken extends TokenParts {
  readonly token: string;
}

const ID_BYTES = 16;
const SECRET_BYTES = 16;
const encoder = new TextEncoder();

// Canonical base64url only: the last character of a 16-byte value carries 4 unused bits and
// of a 32-byte value 2, which must be zero, so no two strings decode to the same bytes.
const B64_16 = "[A-Za-z0-9_-]{21}[AQgw]";
const B64_32 = "[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]";
const TOKEN_SHAPE = new RegExp(`^(${B64_16})\\.(${B64_16})\\.(${B64_32})$`);
const PUBLIC_ID_SHAPE = new RegExp(`^${B64_16}$`);

/** `<id>.<secret>.<mac>` is exactly this long; anything else is refused before parsing. */
export const SIGNED_PAIR_LENGTH = 22 + 1 + 22 + 1 + 43;
/** A session token is exactly this long. */
export const TOKEN_LENGTH = SIGNED_PAIR_LENGTH;
/** What a session token's MAC covers besides its parts (`v1:<publicId>.<secret>`). */
const SESSION_DOMAIN = "v1";

/** SESSION_SECRET's keys: comma-separated, each trimmed (config/resolve.ts checks their length). */
export function sessionSecrets(value: string): string[] {
  return value.split(",").map((secret) => secret.trim());
}

export async function importSessionKeys(secrets: readonly string[]): Promise<SessionKeys> {
  const keys = await Promise.all(
    secrets.map((secret) =>
      crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]),
    ),
  );
  const [signing] = keys;
  if (!signing) throw new Error("importSessionKeys needs at least one secret");
  return { signing, verifying: keys };
}

export async function mintToken(keys: SessionKeys): Promise<MintedToken> {
  const { id, secret, token } = await mintSignedPair(keys, SESSION_DOMAIN);
  return { publicId: id, secret, token };
}

/** The token's parts when its MAC verifies under any key, otherwise null. Never throws. */
export async function verifyToken(keys: SessionKeys, token: string): Promise<TokenParts | null> {
  const checked = await checkSignedPair(keys, SESSION_DOMAIN, token);
  return checked.ok ? { publicId: checked.id, secret: checked.secret } : null;
}

/**
 * The core of every token the gateway signs with SESSION_SECRET: `<id>.<secret>.<mac>`, id and
 * secret 128 random bits each, the MAC HMAC-SHA-256 over `<domain>:<id>.<secret>`. The domain
 * (`v1` for a session, `gws1` for a service credential: services/token.ts) separates the
 * kinds, so a token of one kind never verifies as the other. `id`: a new one unless given (a
 * service credential's rotation keeps its id).
 */
export async function mintSignedPair(keys: SessionKeys, domain: string, id: string = randomBase64url(ID_BYTES)): Promise<{ readonly id: string; readonly secret: string; readonly token: string }> {
  const secret = randomBase64url(SECRET_BYTES);
  const mac = await crypto.subtle.sign("HMAC", keys.signing, macInput(domain, id, secret));
  return { id, secret, token: `${id}.${secret}.${base64url(new Uint8Array(mac))}` };
}

export type CheckedPair = { readonly ok: true; readonly id: string; readonly secret: string } | { readonly ok: false; readonly reason: "malformed" | "forged" };

/**
 * `<id>.<secret>.<mac>` checked: malformed (not exactly SIGNED_PAIR_LENGTH characters of the
 * canonical shape, refused before any parsing or cryptography), forged (no key's MAC matches:
 * every key is tried), or its parts. Never throws.
 */
export async function checkSignedPair(keys: SessionKeys, domain: string, token: string): Promise<CheckedPair> {
  if (token.length !== SIGNED_PAIR_LENGTH) return { ok: false, reason: "malformed" };
  const match = TOKEN_SHAPE.exec(token);
  if (!match) return { ok: false, reason: "malformed" };
  const [, id, secret, mac] = match as unknown as [string, string, string, string];
  // TOKEN_SHAPE admits only canonical base64url, so this decodes.
  const macBytes = fromBase64url(mac)!;
  const data = macInput(domain, id, secret);
  for (const key of keys.verifying) {
    if (await crypto.subtle.verify("HMAC", key, macBytes, data)) return { ok: true, id, secret };
  }
  return { ok: false, reason: "forged" };
}

export function isPublicId(value: string): boolean {
  return PUBLIC_ID_SHAPE.test(value);
}

/** What the SessionObject stores instead of the secret: hex SHA-256. */
export async function hashSecret(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(secret));
  return hex(new Uint8Array(digest));
}

function macInput(domain: string, id: string, secret: string): Uint8Array {
  return encoder.encode(`${domain}:${id}.${secret}`);
}

function randomBase64url(byteLength: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(byteLength)));
}
