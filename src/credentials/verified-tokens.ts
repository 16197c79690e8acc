/**
 * Workload tokens whose signature this isolate has verified, so that a CI job's hundred calls
 * with one token cost one signature check, not a hundred (an ES256 verification is 150–160 µs of
 * CPU here: bench/PROFILE.md). An entry holds only while the issuer's key set it was verified
 * with is the one the JWKS cache still hands out — a refetch, an expiry of the keys' freshness
 * or an issuer that fails makes it a miss — so nothing is accepted that the keys would not accept
 * at that moment. The time checks (`exp`, `iat`, the lifetime) and the subject are made again on
 * every request (workload-token.ts); `iss`, `aud` and the signature cannot change for one token,
 * and a passed `nbf` stays passed.
 */
import type { JWTPayload } from "jose";

export interface VerifiedTokens {
  /** The payload verified with exactly `keySet`, or undefined. */
  get(token: string, keySet: object): JWTPayload | undefined;
  set(token: string, keySet: object, payload: JWTPayload, expiresAtMs: number): void;
}

/** At most `maxEntries` tokens (oldest first out); an entry goes once its token's `exp` passes. */
export function verifiedTokens({ maxEntries }: { readonly maxEntries: number }): VerifiedTokens {
  const entries = new Map<string, { readonly keySet: object; readonly payload: JWTPayload; readonly expiresAtMs: number }>();
  return {
    get(token, keySet) {
      const entry = entries.get(token);
      if (!entry) return undefined;
      if (entry.keySet !== keySet || entry.expiresAtMs <= Date.now()) {
        entries.delete(token);
        return undefined;
      }
      return entry.payload;
    },
    set(token, keySet, payload, expiresAtMs) {
      if (maxEntries <= 0) return;
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(token, { keySet, payload, expiresAtMs });
    },
  };
}
