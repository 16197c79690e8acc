/**
 * Workload tokens checked against a real JWKS served over HTTP by a local issuer
 * (test/workload/issuer.mjs, one issuer per test). Keys are made and tokens signed here with
 * jose (RS256, ES256, EdDSA); tokens are shaped like GitHub Actions' and Kubernetes service
 * accounts'. How the keys are fetched, kept and fail: test/jwks-cache.test.ts.
 */
import { exportSPKI, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { jwksCache } from "../src/credentials/jwks-cache";
import { verifiedTokens } from "../src/credentials/verified-tokens";
import { verifyWorkloadToken } from "../src/credentials/workload-token";
import { b64, githubClaims, issuerWith, NOW, NOW_MS, REFUSED, refusal, sign, signingKey } from "./workload/helpers";

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

describe("workload tokens: refused, each with its reason", () => {
  it.each(REFUSED.map(([what, make, reason]) => ({ what, make, reason })))("refuses $what: 401 $reason", async ({ make, reason }) => {
    const { issuer, keys } = await issuerWith("RS256");
    const token = await make(issuer, keys[0]!, NOW);
    const result = refusal(await verifyWorkloadToken(token, [issuer.entry()], NOW_MS, jwksCache()));
    expect(result).toMatchObject({ reason, status: 401 });
    expect(result.detail).not.toContain(token.slice(0, 40));
  });

  it("refuses alg none and HS256 before fetching the issuer's keys", async () => {
    const { issuer, keys } = await issuerWith("RS256");
    const cache = jwksCache();
    const unsigned = `${b64({ alg: "none" })}.${b64(githubClaims(issuer))}.`;
    const hmac = await new SignJWT(githubClaims(issuer)).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(await exportSPKI(keys[0]!.publicKey)));
    for (const token of [unsigned, hmac]) expect(await verifyWorkloadToken(token, [issuer.entry()], NOW_MS, cache)).toMatchObject({ reason: "algorithm", status: 401 });
    expect(await issuer.hits()).toEqual({ discoveryHits: 0, jwksHits: 0 });
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


describe("workload tokens verified once while the issuer's keys hold", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Signature verifications WebCrypto is asked for from now on. */
  function countVerifications(): () => number {
    const spy = vi.spyOn(crypto.subtle, "verify");
    return () => spy.mock.calls.length;
  }

  it("checks a token's signature once, however often it is presented, while the keys are the same", async () => {
    const { issuer, keys } = await issuerWith("ES256");
    const [cache, verified] = [jwksCache(), verifiedTokens({ maxEntries: 16 })];
    const token = await sign(keys[0]!, githubClaims(issuer));
    const verifications = countVerifications();
    for (let i = 0; i < 5; i++) expect((await verifyWorkloadToken(token, [issuer.entry()], NOW_MS + i * 1000, cache, verified)).ok).toBe(true);
    expect(verifications()).toBe(1);
  });

  it("still checks the time on every request: a remembered token is refused once it expires", async () => {
    const { issuer, keys } = await issuerWith("ES256");
    const [cache, verified] = [jwksCache(), verifiedTokens({ maxEntries: 16 })];
    const token = await sign(keys[0]!, githubClaims(issuer));
    expect((await verifyWorkloadToken(token, [issuer.entry()], NOW_MS, cache, verified)).ok).toBe(true);
    expect(await verifyWorkloadToken(token, [issuer.entry()], (NOW + 290) * 1000, cache, verified)).toMatchObject({ ok: false, reason: "expired" });
  });

  it("verifies again with the keys fetched anew, and refuses a token whose key the issuer withdrew", async () => {
    const { issuer, keys } = await issuerWith("ES256");
    await issuer.control({ cacheControl: "max-age=60" });
    const [cache, verified] = [jwksCache(), verifiedTokens({ maxEntries: 16 })];
    const token = await sign(keys[0]!, githubClaims(issuer));
    expect((await verifyWorkloadToken(token, [issuer.entry()], NOW_MS, cache, verified)).ok).toBe(true);
    await issuer.publish(await signingKey("ES256"));
    await issuer.control({ cacheControl: "max-age=60" });
    // Within the keys' freshness the token stands, as it would without remembering it.
    expect((await verifyWorkloadToken(token, [issuer.entry()], NOW_MS + 59_000, cache, verified)).ok).toBe(true);
    expect(await verifyWorkloadToken(token, [issuer.entry()], NOW_MS + 61_000, cache, verified)).toMatchObject({ ok: false, reason: "unknown-key" });
  });
});
