/**
 * An issuer's JWKS as the workload-token check gets it (src/credentials/jwks-cache.ts), from the
 * local issuer over real HTTP: every way the issuer can fail is a 503-class answer, never an
 * exception, within the deadline; how long a JWKS is kept (Cache-Control, Age, 1 h at most).
 */
import { exportJWK } from "jose";
import { describe, expect, it } from "vitest";
import { FAILURE_RETRY_MS, jwksCache, type JwksCache } from "../src/credentials/jwks-cache";
import { resolveTrustedIssuers } from "../src/credentials/trusted-issuers";
import { verifyWorkloadToken } from "../src/credentials/workload-token";
import { AUDIENCE, b64, githubClaims, issuerWith, LocalIssuer, NOW, NOW_MS, refusal, sign, signingKey } from "./workload/helpers";

describe("workload tokens: an issuer whose keys cannot be had is a 503, never an exception", () => {
  // Long enough that a 1 MB answer is read past its 64 KiB cap before the deadline on a loaded
  // machine (300 ms was not, in a CI run of the whole suite); only the hanging issuer waits it out.
  const DEADLINE_MS = 2000;

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
    expect(performance.now() - started).toBeLessThan(DEADLINE_MS + 3000);
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
