/**
 * Constant-time string equality. Both sides are hashed first so the comparison always runs
 * over 32 bytes, whatever the lengths (no length oracle), then compared with
 * `crypto.subtle.timingSafeEqual` (OWASP ASVS 5.0 §11.2: secrets compared in constant time).
 */
const encoder = new TextEncoder();

export async function timingSafeEqualStrings(a: string, b: string): Promise<boolean> {
  const [left, right] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(left, right);
}
