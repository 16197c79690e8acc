/**
 * Workload tokens for the tests, in workerd (test/workload/helpers.ts) and in Node
 * (test/e2e/machines.test.ts) alike: keys made with jose, tokens shaped like GitHub Actions',
 * and every way a token is no good. Time is the `now` (seconds) each call is given.
 */
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";

export const NOW_MS = Date.UTC(2026, 11, 8, 12, 0, 0);
export const NOW = NOW_MS / 1000;
/** The audience the workers pool's issuers are trusted for. */
export const AUDIENCE = "https://github.com/acme";

/** An issuer as a token sees it: its `iss`, and the audience a gateway trusts it for. */
export interface TokenIssuer {
  readonly url: string;
  readonly audience: string;
}

export type Alg = "RS256" | "ES256" | "EdDSA";
export interface SigningKey {
  readonly kid: string;
  readonly alg: Alg;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function signingKey(alg: Alg, kid = `${alg.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

/** Claims as GitHub Actions puts them in its OIDC token, issued 10 s before `now` (seconds). */
export function githubClaims(issuer: TokenIssuer, overrides: JWTPayload = {}, now = NOW): JWTPayload {
  return {
    iss: issuer.url,
    aud: issuer.audience,
    sub: "repo:acme/api:ref:refs/heads/main",
    repository: "acme/api",
    repository_owner: "acme",
    ref: "refs/heads/main",
    workflow: "deploy",
    job_workflow_ref: "acme/api/.github/workflows/deploy.yml@refs/heads/main",
    run_id: "7311",
    jti: crypto.randomUUID(),
    iat: now - 10,
    nbf: now - 10,
    exp: now + 290,
    ...overrides,
  };
}

export function sign(key: SigningKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...header }).sign(key.privateKey);
}

/** How to make a token that is refused: from its issuer, a published key and the time it is checked at (seconds). */
export type MakeToken = (issuer: TokenIssuer, key: SigningKey, now: number) => Promise<string> | string;

/** [what the token is, how to make it, the reason it is refused for]: every way a workload token is no good. */
export const REFUSED: [string, MakeToken, string][] = [
  ["alg none", (issuer, _key, now) => `${b64({ alg: "none", typ: "JWT" })}.${b64(githubClaims(issuer, {}, now))}.`, "algorithm"],
  [
    "HS256 signed with the issuer's public key",
    async (issuer, key, now) => new SignJWT(githubClaims(issuer, {}, now)).setProtectedHeader({ alg: "HS256", kid: key.kid }).sign(new TextEncoder().encode(await exportSPKI(key.publicKey))),
    "algorithm",
  ],
  ["an alg the issuer does not use", (issuer, key, now) => `${b64({ alg: "PS256", kid: key.kid })}.${b64(githubClaims(issuer, {}, now))}.c2ln`, "algorithm"],
  ["an iss no entry has", (issuer, key, now) => sign(key, githubClaims(issuer, { iss: "https://token.actions.githubusercontent.com" }, now)), "unknown-issuer"],
  ["an iss that differs by a trailing slash", (issuer, key, now) => sign(key, githubClaims(issuer, { iss: `${issuer.url}/` }, now)), "unknown-issuer"],
  ["no aud", (issuer, key, now) => sign(key, githubClaims(issuer, { aud: undefined }, now)), "audience"],
  ["a foreign aud", (issuer, key, now) => sign(key, githubClaims(issuer, { aud: ["https://github.com/someone-else", "sts.amazonaws.com"] }, now)), "audience"],
  ["an exp one second ago (no leeway)", (issuer, key, now) => sign(key, githubClaims(issuer, { exp: now - 1 }, now)), "expired"],
  ["an exp an hour ago", (issuer, key, now) => sign(key, githubClaims(issuer, { iat: now - 4000, nbf: now - 4000, exp: now - 3600 }, now)), "expired"],
  ["an nbf two minutes ahead", (issuer, key, now) => sign(key, githubClaims(issuer, { nbf: now + 120 }, now)), "not-yet-valid"],
  ["an iat two minutes ahead", (issuer, key, now) => sign(key, githubClaims(issuer, { iat: now + 120, nbf: undefined }, now)), "issued-in-future"],
  ["a lifetime over the limit", (issuer, key, now) => sign(key, githubClaims(issuer, { iat: now - 10, exp: now - 10 + 3601 }, now)), "lifetime"],
  ["no exp", (issuer, key, now) => sign(key, githubClaims(issuer, { exp: undefined }, now)), "claims"],
  ["no iat", (issuer, key, now) => sign(key, githubClaims(issuer, { iat: undefined }, now)), "claims"],
  ["no subject", (issuer, key, now) => sign(key, githubClaims(issuer, { sub: undefined }, now)), "subject"],
  ["an empty subject", (issuer, key, now) => sign(key, githubClaims(issuer, { sub: "" }, now)), "subject"],
  ["a subject that is no string", (issuer, key, now) => sign(key, githubClaims(issuer, { sub: 42 as unknown as string }, now)), "subject"],
  [
    "a payload changed after signing",
    async (issuer, key, now) => {
      const [header, , signature] = (await sign(key, githubClaims(issuer, {}, now))).split(".");
      return `${header}.${b64(githubClaims(issuer, { sub: "repo:acme/api:ref:refs/heads/evil" }, now))}.${signature}`;
    },
    "signature",
  ],
  ["a token signed by a key the issuer never published (unknown kid, after a refetch)", async (issuer, _key, now) => sign(await signingKey("RS256"), githubClaims(issuer, {}, now)), "unknown-key"],
  ["a JWE (five parts)", () => "eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn", "malformed"],
  ["a header that is not JSON", (issuer, _key, now) => `bm90IGpzb24.${b64(githubClaims(issuer, {}, now))}.c2ln`, "malformed"],
  ["a 16 KiB token", () => "a".repeat(16 * 1024), "too-large"],
  ["a JWT with a 1 MB header", (issuer, key, now) => `${b64({ alg: key.alg, kid: key.kid, x: "y".repeat(1024 * 1024) })}.${b64(githubClaims(issuer, {}, now))}.c2ln`, "too-large"],
];

/** base64url of a value's JSON (ASCII only, as the tests' headers and claims are). */
export const b64 = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

