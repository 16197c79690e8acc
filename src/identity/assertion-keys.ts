/**
 * ASSERTION_KEYS: a JSON array of private JWKs (RFC 7517), imported once per configuration.
 * The first key signs; every key is published in the JWKS, so an origin keeps accepting what
 * an older key signed while it is still listed (rotation, docs/assertion.md).
 *
 * Each problem names the key by position and `kid` and never quotes a private member.
 */
import { importJWK, type JWK } from "jose";

/** The JWS algorithm of each supported key type: RFC 7518 §3.4 (ES256), RFC 8037 §3.1 (EdDSA). */
const CURVES = {
  EC: { "P-256": "ES256" },
  OKP: { Ed25519: "EdDSA" },
} as const satisfies Record<string, Record<string, string>>;

export type AssertionAlgorithm = "ES256" | "EdDSA";

/** What the JWKS holds for one key: its public members only, never `d`. */
export interface PublicAssertionJwk {
  readonly kty: "EC" | "OKP";
  readonly crv: string;
  readonly x: string;
  readonly y?: string;
  readonly kid: string;
  readonly alg: AssertionAlgorithm;
  readonly use: "sig";
}

export interface SigningKey {
  readonly kid: string;
  readonly alg: AssertionAlgorithm;
  readonly privateKey: CryptoKey;
}

export interface AssertionKeys {
  /** The first key of ASSERTION_KEYS. */
  readonly signing: SigningKey;
  /** Every key's public half, in the order given: `GET /_gateway/jwks.json`. */
  readonly published: readonly PublicAssertionJwk[];
}

/** The keys, or null with every problem added to `problems`. */
export async function importAssertionKeys(problems: string[], value: string): Promise<AssertionKeys | null> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    problems.push("ASSERTION_KEYS is not valid JSON: it must be a JSON array of private JWKs (`npm run assertion-key` prints one)");
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    problems.push("ASSERTION_KEYS must be a non-empty JSON array of private JWKs (`npm run assertion-key` prints one)");
    return null;
  }
  const before = problems.length;
  const seen = new Set<string>();
  const keys: SigningKey[] = [];
  const published: PublicAssertionJwk[] = [];
  for (const [index, item] of parsed.entries()) {
    const imported = await importOne(problems, index, item, seen);
    if (imported) {
      keys.push(imported.key);
      published.push(imported.published);
    }
  }
  if (problems.length > before) return null;
  return { signing: keys[0]!, published };
}

async function importOne(
  problems: string[],
  index: number,
  item: unknown,
  seen: Set<string>,
): Promise<{ key: SigningKey; published: PublicAssertionJwk } | null> {
  if (typeof item !== "object" || item === null || Array.isArray(item)) {
    problems.push(`ASSERTION_KEYS[${index}] must be a JWK object`);
    return null;
  }
  const jwk = item as Record<string, unknown>;
  const kid = jwk.kid;
  if (typeof kid !== "string" || kid === "" || !/^[\x21-\x7e]+$/.test(kid)) {
    problems.push(`ASSERTION_KEYS[${index}] must have a "kid": a non-empty string of printable ASCII without spaces`);
    return null;
  }
  const where = `ASSERTION_KEYS[${index}] (kid ${JSON.stringify(kid)})`;
  if (seen.has(kid)) {
    problems.push(`${where} repeats a kid: each key needs its own, so an origin can tell which one signed`);
    return null;
  }
  seen.add(kid);
  const { kty, crv } = jwk;
  if (kty !== "EC" && kty !== "OKP") {
    problems.push(`${where} has kty ${JSON.stringify(kty)}: only "EC" (P-256, ES256) and "OKP" (Ed25519, EdDSA) keys are supported`);
    return null;
  }
  const curves: Record<string, AssertionAlgorithm> = CURVES[kty];
  const alg = typeof crv === "string" ? curves[crv] : undefined;
  if (!alg) {
    problems.push(`${where} has crv ${JSON.stringify(crv)}: an ${kty} key must be on ${Object.keys(curves).join(" or ")}`);
    return null;
  }
  if (jwk.alg !== undefined && jwk.alg !== alg) {
    problems.push(`${where} has alg ${JSON.stringify(jwk.alg)}: an ${kty} ${crv} key signs with ${alg}`);
    return null;
  }
  if (jwk.use !== undefined && jwk.use !== "sig") {
    problems.push(`${where} has use ${JSON.stringify(jwk.use)}: it must be "sig" or absent`);
    return null;
  }
  if (typeof jwk.d !== "string" || jwk.d === "") {
    problems.push(`${where} is a public key: it needs its private member "d" to sign (the JWKS is published from it)`);
    return null;
  }
  // Whitelisted, never spread: whatever else the JWK holds stays out of the JWKS.
  const published: PublicAssertionJwk = {
    kty,
    crv: crv as string,
    x: String(jwk.x),
    ...(kty === "EC" ? { y: String(jwk.y) } : {}),
    kid,
    alg,
    use: "sig",
  };
  const privateMembers = { kty, crv, x: jwk.x, ...(kty === "EC" ? { y: jwk.y } : {}), d: jwk.d } as JWK;
  try {
    const privateKey = (await importJWK(privateMembers, alg, { extractable: false })) as CryptoKey;
    const publicKey = (await importJWK(published as unknown as JWK, alg)) as CryptoKey;
    if (!(await halvesMatch(alg, privateKey, publicKey))) {
      problems.push(`${where}: its public members (x, y) are not the public half of its "d"`);
      return null;
    }
    return { key: { kid, alg, privateKey }, published };
  } catch (error) {
    // The runtime's message names the member at fault, never its value.
    problems.push(`${where} is not a valid ${kty} ${crv} private key: ${(error as Error).message}`);
    return null;
  }
}

/** A JWK whose `x`/`y` belong to another key would sign what its published half never verifies. */
async function halvesMatch(alg: AssertionAlgorithm, privateKey: CryptoKey, publicKey: CryptoKey): Promise<boolean> {
  const params = alg === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "Ed25519" };
  const probe = new TextEncoder().encode("assertion-key-check");
  const signature = await crypto.subtle.sign(params, privateKey, probe);
  return crypto.subtle.verify(params, publicKey, signature, probe);
}
