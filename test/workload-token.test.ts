/**
 * Workload tokens checked against a real JWKS served over HTTP by a local issuer
 * (test/workload/issuer.mjs, one issuer per test). Keys are made and tokens signed here with
 * jose (RS256, ES256, EdDSA); tokens are shaped like GitHub Actions' and Kubernetes service
 * accounts'. Time is the `nowMs` each call is given, never the clock.
 */
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";
import { describe, expect, it } from "vitest";
import { inject } from "vitest";
import { FAILURE_RETRY_MS, jwksCache, type JwksCache } from "../src/credentials/jwks-cache";
import { resolveTrustedIssuers, type TrustedIssuer } from "../src/credentials/trusted-issuers";
import { verifyWorkloadToken, type WorkloadVerification } from "../src/credentials/workload-token";

declare module "vitest" {
  export interface ProvidedContext {
    workloadIssuerOrigin: string;
  }
}
const ISSUER_ORIGIN = inject("workloadIssuerOrigin");

const NOW_MS = Date.UTC(2026, 11, 8, 12, 0, 0);
const NOW = NOW_MS / 1000;
const AUDIENCE = "https://github.com/acme";

type Alg = "RS256" | "ES256" | "EdDSA";
interface SigningKey {
  readonly kid: string;
  readonly alg: Alg;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

async function signingKey(alg: Alg, kid = `${alg.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

/** One issuer at the local server: its URL, its published keys and how it behaves. */
class LocalIssuer {
  readonly tenant = crypto.randomUUID();
  readonly url = `${ISSUER_ORIGIN}/${this.tenant}`;

  async control(state: Record<string, unknown>): Promise<void> {
    const response = await fetch(`${this.url}/_control`, { method: "PUT", body: JSON.stringify(state) });
    expect(response.status).toBe(204);
  }

  async publish(...keys: SigningKey[]): Promise<void> {
    await this.control({ keys: keys.map((key) => key.publicJwk), mode: "ok" });
  }

  async hits(): Promise<{ jwksHits: number; discoveryHits: number }> {
    return (await fetch(`${this.url}/_control`)).json();
  }

  entry(fields: Record<string, unknown> = {}): TrustedIssuer {
    const problems: string[] = [];
    const issuers = resolveTrustedIssuers(problems, [{ name: "ci", issuer: this.url, audiences: [AUDIENCE], ...fields }]);
    expect(problems).toEqual([]);
    return issuers![0]!;
  }
}

async function issuerWith(...algs: Alg[]): Promise<{ issuer: LocalIssuer; keys: SigningKey[] }> {
  const issuer = new LocalIssuer();
  const keys = await Promise.all(algs.map((alg) => signingKey(alg)));
  await issuer.publish(...keys);
  return { issuer, keys };
}

/** Claims as GitHub Actions puts them in its OIDC token. */
function githubClaims(issuer: LocalIssuer, overrides: JWTPayload = {}): JWTPayload {
  return {
    iss: issuer.url,
    aud: AUDIENCE,
    sub: "repo:acme/api:ref:refs/heads/main",
    repository: "acme/api",
    repository_owner: "acme",
    ref: "refs/heads/main",
    workflow: "deploy",
    job_workflow_ref: "acme/api/.github/workflows/deploy.yml@refs/heads/main",
    run_id: "7311",
    jti: crypto.randomUUID(),
    iat: NOW - 10,
    nbf: NOW - 10,
    exp: NOW + 290,
    ...overrides,
  };
}

function sign(key: SigningKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...header }).sign(key.privateKey);
}

const b64 = (value: unknown) => btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

function refusal(result: WorkloadVerification) {
  expect(result.ok, JSON.stringify(result)).toBe(false);
  return result as Extract<WorkloadVerification, { ok: false }>;
}

describe("workload tokens: accepted", () => {
  it.each(["RS256", "ES256", "EdDSA"] as const)("accepts a GitHub Actions token signed with %s, its issuer found by discovery", async (alg) => {
    const { issuer, keys } = await issuerWith(alg);
    const token = await sign(keys[0]!, githubClaims(issuer));
    const result = await verifyWorkloadToken(token, [issuer.entry()], NOW_MS, jwksCache());
    expect(result).toMatchObject({
      ok: true,
      identity: { issuer: "ci", subject: "repo:acme/api:ref:refs/heads/main", roles: [], expiresAtSeconds: NOW + 290, claims: { repository: "acme/api", ref: "refs/heads/main" } },
    });
    expect(await issuer.hits()).toEqual({ discoveryHits: 1, jwksHits: 1 });
  });

  it("accepts a Kubernetes service account token from a configured jwksUrl, roles from a claim inside a dotted key", async () => {
    const { issuer, keys } = await issuerWith("RS256");
    const entry = issuer.entry({ name: "k8s", audiences: ["gateway"], jwksUrl: `${issuer.url}/jwks`, rolesClaim: "kubernetes.io.namespace" });
    const token = await sign(keys[0]!, {
      iss: issuer.url,
      aud: ["gateway", "https://kubernetes.default.svc"],
      sub: "system:serviceaccount:billing:invoicer",
      "kubernetes.io": { namespace: "billing", pod: { name: "invoicer-7d9", uid: crypto.randomUUID() }, serviceaccount: { name: "invoicer", uid: crypto.randomUUID() } },
      iat: NOW - 60,
      nbf: NOW - 60,
      exp: NOW + 3540,
    }, { typ: undefined });
    const result = await verifyWorkloadToken(token, [entry], NOW_MS, jwksCache());
    expect(result).toMatchObject({ ok: true, identity: { issuer: "k8s", subject: "system:serviceaccount:billing:invoicer", roles: ["billing"] } });
    expect(await issuer.hits()).toEqual({ discoveryHits: 0, jwksHits: 1 });
  });

  it("picks the issuer by the token's iss among several", async () => {
    const a = await issuerWith("ES256");
    const b = await issuerWith("RS256");
    const issuers = [a.issuer.entry({ name: "a" }), b.issuer.entry({ name: "b" })];
    const result = await verifyWorkloadToken(await sign(b.keys[0]!, githubClaims(b.issuer)), issuers, NOW_MS, jwksCache());
    expect(result).toMatchObject({ ok: true, identity: { issuer: "b" } });
    expect(await a.issuer.hits()).toEqual({ discoveryHits: 0, jwksHits: 0 });
  });

  it("tolerates an issuer clock up to 60 s ahead on nbf and iat", async () => {
    const { issuer, keys } = await issuerWith("ES256");
    const token = await sign(keys[0]!, githubClaims(issuer, { iat: NOW + 59, nbf: NOW + 59, exp: NOW + 600 }));
    expect((await verifyWorkloadToken(token, [issuer.entry()], NOW_MS, jwksCache())).ok).toBe(true);
  });

  it("accepts a key published after a rotation, fetching the JWKS again for its new kid", async () => {
    const { issuer, keys } = await issuerWith("RS256");
    const cache = jwksCache();
    const entry = issuer.entry();
    expect((await verifyWorkloadToken(await sign(keys[0]!, githubClaims(issuer)), [entry], NOW_MS, cache)).ok).toBe(true);
    const next = await signingKey("ES256");
    await issuer.publish(keys[0]!, next);
    // Long after the last fetch, but well within the cached JWKS's freshness.
    const later = NOW_MS + 60_000;
    const result = await verifyWorkloadToken(await sign(next, githubClaims(issuer, { iat: NOW + 50, exp: NOW + 350 })), [entry], later, cache);
    expect(result).toMatchObject({ ok: true });
    expect((await issuer.hits()).jwksHits).toBe(2);
  });

  it("takes roles from rolesClaim, leaving out what cannot go into a header", async () => {
    const { issuer, keys } = await issuerWith("ES256");
    const token = await sign(keys[0]!, githubClaims(issuer, { groups: ["deployers", "a,b", 7, "deployers", " padded"] }));
    const result = await verifyWorkloadToken(token, [issuer.entry({ rolesClaim: "groups" })], NOW_MS, jwksCache());
    expect(result).toMatchObject({ ok: true, identity: { roles: ["deployers"] } });
  });

  it("accepts a token without kid when exactly one key of the JWKS fits it", async () => {
    const { issuer, keys } = await issuerWith("RS256", "ES256");
    const token = await sign(keys[1]!, githubClaims(issuer), { kid: undefined });
    expect((await verifyWorkloadToken(token, [issuer.entry()], NOW_MS, jwksCache())).ok).toBe(true);
  });

  it("serves concurrent verifications from one fetch", async () => {
    const { issuer, keys } = await issuerWith("EdDSA");
    const cache = jwksCache();
    const entry = issuer.entry({ jwksUrl: `${issuer.url}/jwks` });
    const tokens = await Promise.all(Array.from({ length: 5 }, () => sign(keys[0]!, githubClaims(issuer))));
    const results = await Promise.all(tokens.map((token) => verifyWorkloadToken(token, [entry], NOW_MS, cache)));
    expect(results.every((result) => result.ok)).toBe(true);
    expect((await issuer.hits()).jwksHits).toBe(1);
  });
});

type MakeToken = (issuer: LocalIssuer, key: SigningKey) => Promise<string> | string;

/** [what the token is, how to make it, the reason it is refused for]. */
const REFUSED: [string, MakeToken, string][] = [
  ["alg none", (issuer) => `${b64({ alg: "none", typ: "JWT" })}.${b64(githubClaims(issuer))}.`, "algorithm"],
  [
    "HS256 signed with the issuer's public key",
    async (issuer, key) => new SignJWT(githubClaims(issuer)).setProtectedHeader({ alg: "HS256", kid: key.kid }).sign(new TextEncoder().encode(await exportSPKI(key.publicKey))),
    "algorithm",
  ],
  ["an alg the issuer does not use", (issuer, key) => `${b64({ alg: "PS256", kid: key.kid })}.${b64(githubClaims(issuer))}.c2ln`, "algorithm"],
  ["an iss no entry has", (issuer, key) => sign(key, githubClaims(issuer, { iss: "https://token.actions.githubusercontent.com" })), "unknown-issuer"],
  ["an iss that differs by a trailing slash", (issuer, key) => sign(key, githubClaims(issuer, { iss: `${issuer.url}/` })), "unknown-issuer"],
  ["no aud", (issuer, key) => sign(key, githubClaims(issuer, { aud: undefined })), "audience"],
  ["a foreign aud", (issuer, key) => sign(key, githubClaims(issuer, { aud: ["https://github.com/someone-else", "sts.amazonaws.com"] })), "audience"],
  ["an exp one second ago (no leeway)", (issuer, key) => sign(key, githubClaims(issuer, { exp: NOW - 1 })), "expired"],
  ["an exp an hour ago", (issuer, key) => sign(key, githubClaims(issuer, { iat: NOW - 4000, nbf: NOW - 4000, exp: NOW - 3600 })), "expired"],
  ["an nbf two minutes ahead", (issuer, key) => sign(key, githubClaims(issuer, { nbf: NOW + 120 })), "not-yet-valid"],
  ["an iat two minutes ahead", (issuer, key) => sign(key, githubClaims(issuer, { iat: NOW + 120, nbf: undefined })), "issued-in-future"],
  ["a lifetime over the limit", (issuer, key) => sign(key, githubClaims(issuer, { iat: NOW - 10, exp: NOW - 10 + 3601 })), "lifetime"],
  ["no exp", (issuer, key) => sign(key, githubClaims(issuer, { exp: undefined })), "claims"],
  ["no iat", (issuer, key) => sign(key, githubClaims(issuer, { iat: undefined })), "claims"],
  ["no subject", (issuer, key) => sign(key, githubClaims(issuer, { sub: undefined })), "subject"],
  ["an empty subject", (issuer, key) => sign(key, githubClaims(issuer, { sub: "" })), "subject"],
  ["a subject that is no string", (issuer, key) => sign(key, githubClaims(issuer, { sub: 42 as unknown as string })), "subject"],
  [
    "a payload changed after signing",
    async (issuer, key) => {
      const [header, , signature] = (await sign(key, githubClaims(issuer))).split(".");
      return `${header}.${b64(githubClaims(issuer, { sub: "repo:acme/api:ref:refs/heads/evil" }))}.${signature}`;
    },
    "signature",
  ],
  ["a JWE (five parts)", () => "eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn", "malformed"],
  ["a header that is not JSON", (issuer) => `bm90IGpzb24.${b64(githubClaims(issuer))}.c2ln`, "malformed"],
  ["a 16 KiB token", () => "a".repeat(16 * 1024), "too-large"],
  ["a JWT with a 1 MB header", (issuer, key) => `${b64({ alg: key.alg, kid: key.kid, x: "y".repeat(1024 * 1024) })}.${b64(githubClaims(issuer))}.c2ln`, "too-large"],
];

describe("workload tokens: refused, each with its reason", () => {
  it.each(REFUSED.map(([what, make, reason]) => ({ what, make, reason })))("refuses $what: 401 $reason", async ({ make, reason }) => {
    const { issuer, keys } = await issuerWith("RS256");
    const token = await make(issuer, keys[0]!);
    const result = refusal(await verifyWorkloadToken(token, [issuer.entry()], NOW_MS, jwksCache()));
    expect(result).toMatchObject({ reason, status: 401 });
    expect(result.detail).not.toContain(token.slice(0, 40));
  });

  it("honours a smaller maxTokenLifetimeSeconds", async () => {
    const { issuer, keys } = await issuerWith("ES256");
    const entry = issuer.entry({ maxTokenLifetimeSeconds: 600 });
    const cache = jwksCache();
    expect((await verifyWorkloadToken(await sign(keys[0]!, githubClaims(issuer, { exp: NOW - 10 + 600 })), [entry], NOW_MS, cache)).ok).toBe(true);
    expect(await verifyWorkloadToken(await sign(keys[0]!, githubClaims(issuer, { exp: NOW - 10 + 601 })), [entry], NOW_MS, cache)).toMatchObject({ reason: "lifetime" });
  });

  it("refuses a token signed by issuer A's key that claims issuer B's iss", async () => {
    const a = await issuerWith("RS256");
    const b = await issuerWith("RS256");
    const forged = await sign(a.keys[0]!, githubClaims(b.issuer));
    const result = await verifyWorkloadToken(forged, [a.issuer.entry({ name: "a" }), b.issuer.entry({ name: "b" })], NOW_MS, jwksCache());
    expect(result).toMatchObject({ ok: false, reason: "unknown-key", status: 401 });
  });

  it("refuses a token whose kid names a key of the JWKS but which another key signed", async () => {
    const { issuer, keys } = await issuerWith("ES256");
    const impostor = { ...(await signingKey("ES256")), kid: keys[0]!.kid };
    const result = await verifyWorkloadToken(await sign(impostor, githubClaims(issuer)), [issuer.entry()], NOW_MS, jwksCache());
    expect(result).toMatchObject({ ok: false, reason: "signature", status: 401 });
  });

  it("refuses a token without kid when several keys of the JWKS fit it", async () => {
    const { issuer, keys } = await issuerWith("ES256", "ES256");
    const token = await sign(keys[0]!, githubClaims(issuer), { kid: undefined });
    expect(await verifyWorkloadToken(token, [issuer.entry()], NOW_MS, jwksCache())).toMatchObject({ reason: "unknown-key", status: 401 });
  });

  it("refuses an unknown kid after one refetch, and refetches at most once per 30 s", async () => {
    const { issuer, keys } = await issuerWith("RS256");
    const cache = jwksCache();
    const entry = issuer.entry();
    const stranger = await signingKey("RS256", "kid-nobody-publishes");
    const token = await sign(stranger, githubClaims(issuer, { exp: NOW + 3000 }));
    expect(await verifyWorkloadToken(token, [entry], NOW_MS, cache)).toMatchObject({ reason: "unknown-key", status: 401 });
    // The first verification fetched the JWKS, and the unknown kid at the same instant did not
    // fetch it again: the fetch was under 30 s ago.
    expect((await issuer.hits()).jwksHits).toBe(1);
    for (const seconds of [1, 10, 29]) {
      expect(await verifyWorkloadToken(token, [entry], NOW_MS + seconds * 1000, cache)).toMatchObject({ reason: "unknown-key" });
    }
    expect((await issuer.hits()).jwksHits).toBe(1);
    expect(await verifyWorkloadToken(token, [entry], NOW_MS + 30_000, cache)).toMatchObject({ reason: "unknown-key", detail: expect.stringContaining("after fetching it again") });
    expect((await issuer.hits()).jwksHits).toBe(2);
    expect(await verifyWorkloadToken(token, [entry], NOW_MS + 45_000, cache)).toMatchObject({ reason: "unknown-key" });
    expect((await issuer.hits()).jwksHits).toBe(2);
    // The known key still works throughout.
    expect((await verifyWorkloadToken(await sign(keys[0]!, githubClaims(issuer, { iat: NOW + 40, exp: NOW + 400 })), [entry], NOW_MS + 45_000, cache)).ok).toBe(true);
  });

  it("refuses a 16 KiB token and a 1 MB header without fetching any key", async () => {
    const { issuer, keys } = await issuerWith("RS256");
    const cache = jwksCache();
    const entry = issuer.entry();
    const huge = `${b64({ alg: "RS256", kid: keys[0]!.kid, pad: "p".repeat(1024 * 1024) })}.${b64(githubClaims(issuer))}.c2ln`;
    const started = performance.now();
    expect(await verifyWorkloadToken(huge, [entry], NOW_MS, cache)).toMatchObject({ reason: "too-large", status: 401 });
    expect(await verifyWorkloadToken("x".repeat(16 * 1024), [entry], NOW_MS, cache)).toMatchObject({ reason: "too-large" });
    expect(performance.now() - started).toBeLessThan(50);
    expect(await issuer.hits()).toEqual({ discoveryHits: 0, jwksHits: 0 });
  });
});

describe("workload tokens: an issuer whose keys cannot be had is a 503, never an exception", () => {
  const DEADLINE_MS = 300;

  it.each([
    ["answers 500", { mode: "status-500" }, "status"],
    ["hangs", { mode: "hang" }, "timeout"],
    ["answers an HTML page", { mode: "garbage" }, "malformed"],
    ["answers JSON that is no key set", { mode: "not-a-key-set" }, "malformed"],
    ["answers 1 MB", { mode: "huge" }, "too-large"],
    ["redirects to another host", { mode: "redirect" }, "redirect"],
    ["publishes no key", { mode: "ok", keys: [] }, "no-keys"],
    ["publishes only a shared secret", { mode: "ok", keys: [{ kty: "oct", k: "c2VjcmV0", kid: "s" }] }, "no-keys"],
    ["names another issuer in its discovery document", { discoveryIssuer: "https://elsewhere.example.com" }, "discovery"],
  ])("answers 503 when the issuer %s", async (_, state, failure) => {
    const { issuer, keys } = await issuerWith("RS256");
    await issuer.control(state);
    const cache = jwksCache({ deadlineMs: DEADLINE_MS });
    const started = performance.now();
    const result = refusal(await verifyWorkloadToken(await sign(keys[0]!, githubClaims(issuer)), [issuer.entry()], NOW_MS, cache));
    expect(result).toMatchObject({ reason: "issuer-unavailable", status: 503 });
    expect(result.detail).toContain(`: ${failure}: `);
    expect(performance.now() - started).toBeLessThan(DEADLINE_MS + 1500);
  });

  it("answers 503 when the key the token names does not import", async () => {
    const { issuer, keys } = await issuerWith("RS256");
    await issuer.control({ keys: [{ ...keys[0]!.publicJwk, n: "AQAB" }] });
    const result = await verifyWorkloadToken(await sign(keys[0]!, githubClaims(issuer)), [issuer.entry()], NOW_MS, jwksCache());
    expect(result).toMatchObject({ ok: false, reason: "issuer-unavailable", status: 503 });
  });

  it("answers 503 when the key the token names is an RSA key under 2048 bits", async () => {
    const issuer = new LocalIssuer();
    // Made and used with WebCrypto itself: jose refuses to make or sign with such a key.
    const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    const pair = (await crypto.subtle.generateKey({ ...algorithm, modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]) }, true, ["sign", "verify"])) as CryptoKeyPair;
    await issuer.control({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "weak" }] });
    const input = `${b64({ alg: "RS256", kid: "weak" })}.${b64(githubClaims(issuer))}`;
    const signature = new Uint8Array(await crypto.subtle.sign(algorithm, pair.privateKey, new TextEncoder().encode(input)));
    const token = `${input}.${btoa(String.fromCharCode(...signature)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_")}`;
    const result = await verifyWorkloadToken(token, [issuer.entry()], NOW_MS, jwksCache());
    expect(result).toMatchObject({ ok: false, reason: "issuer-unavailable", status: 503, detail: expect.stringContaining("1024 bits") });
  });

  it("answers 503 when the issuer cannot be reached", async () => {
    const problems: string[] = [];
    const [entry] = resolveTrustedIssuers(problems, [{ name: "gone", issuer: "http://127.0.0.1:1/issuer", audiences: [AUDIENCE] }])!;
    const key = await signingKey("RS256");
    const token = await sign(key, { ...githubClaims(new LocalIssuer()), iss: "http://127.0.0.1:1/issuer" });
    const result = await verifyWorkloadToken(token, [entry!], NOW_MS, jwksCache({ deadlineMs: DEADLINE_MS }));
    expect(result).toMatchObject({ ok: false, reason: "issuer-unavailable", status: 503, detail: expect.stringMatching(/: (unreachable|timeout): /) });
  });

  it("remembers a failure for 5 s, then fetches again and recovers", async () => {
    const { issuer, keys } = await issuerWith("ES256");
    const cache = jwksCache({ deadlineMs: DEADLINE_MS });
    const entry = issuer.entry({ jwksUrl: `${issuer.url}/jwks` });
    const token = await sign(keys[0]!, githubClaims(issuer));
    await issuer.control({ mode: "status-500" });
    expect(await verifyWorkloadToken(token, [entry], NOW_MS, cache)).toMatchObject({ status: 503 });
    await issuer.control({ mode: "ok" });
    expect(await verifyWorkloadToken(token, [entry], NOW_MS + FAILURE_RETRY_MS - 1, cache)).toMatchObject({ status: 503 });
    expect((await issuer.hits()).jwksHits).toBe(1);
    expect((await verifyWorkloadToken(token, [entry], NOW_MS + FAILURE_RETRY_MS, cache)).ok).toBe(true);
    expect((await issuer.hits()).jwksHits).toBe(2);
  });

  it("keeps fresh keys when a refetch for an unknown kid fails", async () => {
    const { issuer, keys } = await issuerWith("RS256");
    const cache = jwksCache({ deadlineMs: DEADLINE_MS });
    const entry = issuer.entry();
    const good = await sign(keys[0]!, githubClaims(issuer, { exp: NOW + 600 }));
    expect((await verifyWorkloadToken(good, [entry], NOW_MS, cache)).ok).toBe(true);
    await issuer.control({ mode: "status-500" });
    const stranger = await sign(await signingKey("RS256"), githubClaims(issuer, { exp: NOW + 600 }));
    expect(await verifyWorkloadToken(stranger, [entry], NOW_MS + 31_000, cache)).toMatchObject({ reason: "issuer-unavailable", status: 503 });
    expect((await verifyWorkloadToken(good, [entry], NOW_MS + 32_000, cache)).ok).toBe(true);
  });
});

describe("workload tokens: how long a JWKS is kept", () => {
  async function fetchesAt(state: Record<string, unknown>, offsetsSeconds: number[]): Promise<number[]> {
    const { issuer, keys } = await issuerWith("ES256");
    await issuer.control(state);
    const cache: JwksCache = jwksCache();
    const entry = issuer.entry({ jwksUrl: `${issuer.url}/jwks`, maxTokenLifetimeSeconds: 86_400 });
    const token = await sign(keys[0]!, githubClaims(issuer, { iat: NOW, nbf: NOW, exp: NOW + 86_000 }));
    const counts: number[] = [];
    for (const offset of offsetsSeconds) {
      expect((await verifyWorkloadToken(token, [entry], NOW_MS + offset * 1000, cache)).ok).toBe(true);
      counts.push((await issuer.hits()).jwksHits);
    }
    return counts;
  }

  it("keeps it as long as Cache-Control's max-age", async () => {
    expect(await fetchesAt({ cacheControl: "public, max-age=60" }, [0, 59, 60, 61])).toEqual([1, 1, 2, 2]);
  });

  it("counts the Age header against max-age", async () => {
    expect(await fetchesAt({ cacheControl: "max-age=100", age: 90 }, [0, 9, 10])).toEqual([1, 1, 2]);
  });

  it("keeps it at most an hour whatever max-age says", async () => {
    expect(await fetchesAt({ cacheControl: "max-age=86400" }, [0, 3599, 3600])).toEqual([1, 1, 2]);
  });

  it("keeps it 10 minutes when Cache-Control says nothing", async () => {
    expect(await fetchesAt({ cacheControl: null }, [0, 599, 600])).toEqual([1, 1, 2]);
  });

  it("does not keep it under no-store or no-cache", async () => {
    expect(await fetchesAt({ cacheControl: "no-store" }, [0, 0, 1])).toEqual([1, 2, 3]);
    expect(await fetchesAt({ cacheControl: "no-cache, max-age=600" }, [0, 1])).toEqual([1, 2]);
  });
});
