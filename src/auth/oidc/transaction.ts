/**
 * The login transaction: what the callback needs to finish a login that this browser started
 * (`state`, `nonce`, the PKCE verifier, `return_to`), kept in the browser itself so that an
 * anonymous login start creates no server state (SECURITY.md D-02).
 *
 * The cookie is sealed with AES-256-GCM (WebCrypto) under a key derived with HKDF-SHA-256 from
 * the first SESSION_SECRET key; every listed key can open it (rotation). Scripts cannot read it
 * (HttpOnly), no one can read or forge it without the secret, and it is bound to its name and
 * version (additional data). `__Host-` (Secure, Path=/, no Domain), `SameSite=Lax`: Strict
 * would not be sent on the provider's cross-site redirect back (SECURITY.md C-04).
 * One transaction per browser at a time: a new login start replaces it, and the callback
 * clears it whatever the outcome, so a state works once (RFC 9700 §2.1.1).
 */
import { GATEWAY_COOKIE_PREFIX, hostCookie } from "../../http/cookies";
import { base64url, fromBase64url } from "../../http/encoding";

export const TRANSACTION_COOKIE = `${GATEWAY_COOKIE_PREFIX}login`;
/** A login must come back within this long (the cookie's Max-Age and the sealed expiry). */
export const TRANSACTION_TTL_SECONDS = 600;

export interface LoginTransaction {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** A same-site relative path (return-to.ts), or a configured host's URL, where the callback sends the browser. */
  readonly returnTo: string;
  /** The redirect URI the authorization request named; the token request must name it again. */
  readonly redirectUri?: string;
  /** The issuer the login was started with: a changed OIDC_ISSUER voids it. */
  readonly issuer: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
  /** The `max_age` the authorization request carried, if any: the callback checks `auth_time`. */
  readonly maxAgeSeconds?: number;
}

export interface TransactionKeys {
  /** Seals new transactions: derived from the first SESSION_SECRET key. */
  readonly sealing: CryptoKey;
  /** Open transactions: one per SESSION_SECRET key, the sealing key first. */
  readonly opening: readonly CryptoKey[];
}

const VERSION = "v1";
const IV_BYTES = 12;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const ADDITIONAL_DATA = encoder.encode(`${TRANSACTION_COOKIE}:${VERSION}`);
/** Sealed value: `v1.<iv>.<ciphertext>`, base64url. A longer cookie is refused unread. */
const MAX_SEALED_LENGTH = 4096;

export async function importTransactionKeys(secrets: readonly string[]): Promise<TransactionKeys> {
  const keys = await Promise.all(secrets.map(deriveKey));
  const [sealing] = keys;
  if (!sealing) throw new Error("importTransactionKeys needs at least one secret");
  return { sealing, opening: keys };
}

// RFC 5869: HKDF with a fixed salt and an info string naming the purpose, so this key is
// independent of the HMAC key that signs session tokens with the same secret.
async function deriveKey(secret: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: encoder.encode("edge-session-gateway"), info: encoder.encode("oidc login transaction v1") },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

export async function sealTransaction(keys: TransactionKeys, transaction: LoginTransaction): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const plaintext = encoder.encode(JSON.stringify(transaction));
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: ADDITIONAL_DATA }, keys.sealing, plaintext);
  return `${VERSION}.${base64url(iv)}.${base64url(new Uint8Array(ciphertext))}`;
}

/** The transaction when the value opens under a key and has not expired; otherwise null. */
export async function openTransaction(keys: TransactionKeys, sealed: string, nowSeconds: number): Promise<LoginTransaction | null> {
  if (sealed.length > MAX_SEALED_LENGTH) return null;
  const match = /^v1\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22,})$/.exec(sealed);
  if (!match) return null;
  const iv = fromBase64url(match[1]!);
  const ciphertext = fromBase64url(match[2]!);
  if (!iv || !ciphertext) return null;
  for (const key of keys.opening) {
    try {
      const plaintext = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData: ADDITIONAL_DATA }, key, ciphertext);
      const transaction = JSON.parse(decoder.decode(plaintext)) as LoginTransaction;
      return transaction.expiresAt > nowSeconds ? transaction : null;
    } catch {
      // Not sealed with this key: try the next one.
    }
  }
  return null;
}

export function transactionSetCookie(sealed: string): string {
  return hostCookie(TRANSACTION_COOKIE, sealed, TRANSACTION_TTL_SECONDS);
}

export function clearedTransactionSetCookie(): string {
  return hostCookie(TRANSACTION_COOKIE, "", 0);
}
