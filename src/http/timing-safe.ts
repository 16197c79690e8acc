/**
 * Constant-time string equality. Both sides are hashed first so the comparison always runs
 * over 32 bytes, whatever the lengths (no length oracle), then compared with
 * `crypto.subtle.timingSafeEqual` (OWASP ASVS 5.0 §11.2: secrets compared in constant time).
 */
const encoder = new TextEncoder();

/**
 * For two values whose length is public and fixed (hex digests): compared byte for byte in
 * constant time, without hashing them again. Different lengths are simply unequal.
 */
export function timingSafeEqualDigests(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  return left.byteLength === right.byteLength && crypto.subtle.timingSafeEqual(left, right);
}

export async function timingSafeEqualStrings(a: string, b: string): Promise<boolean> {
  const [left, right] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(left, right);
}
