/**
 * Signed assertions kept per isolate, so a busy session does not pay for a signature on every
 * request (ES256 costs real CPU). An entry is found only by the exact identity it states —
 * the key, issuer, audience, session, user and auth_time — so any change of identity misses
 * and gets a new assertion at once; one is handed out again only while it has `minRemainingSeconds`
 * left. Bounded: past `maxEntries` the oldest entry goes.
 */
export interface AssertionCacheOptions {
  /** Entries kept at most. */
  readonly maxEntries: number;
  /** An entry is re-used only while it stays valid this much longer (seconds). */
  readonly minRemainingSeconds: number;
}

interface Entry {
  readonly jwt: string;
  /** The assertion's `exp`, seconds since the epoch. */
  readonly expiresAtSeconds: number;
}

export interface AssertionCache {
  get(key: string, nowSeconds: number): string | null;
  set(key: string, jwt: string, expiresAtSeconds: number): void;
}

export function assertionCache({ maxEntries, minRemainingSeconds }: AssertionCacheOptions): AssertionCache {
  const entries = new Map<string, Entry>();
  return {
    get(key, nowSeconds) {
      const entry = entries.get(key);
      if (!entry) return null;
      if (entry.expiresAtSeconds - nowSeconds >= minRemainingSeconds) return entry.jwt;
      entries.delete(key);
      return null;
    },
    set(key, jwt, expiresAtSeconds) {
      // Re-inserted at the end: a Map iterates in insertion order, so the first key is the oldest.
      entries.delete(key);
      entries.set(key, { jwt, expiresAtSeconds });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
  };
}
