/** ASSERTION_KEYS, ASSERTION_ISSUER and ASSERTION_AUDIENCE as configuration (config/assertion-settings.ts). */
import { env } from "cloudflare:workers";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../src/config/resolve";
import type { Env } from "../src/env";
import { privateJwk } from "./assertion-helpers";
import { gatewayFetchWith, silenceConfigLogs } from "./helpers";

const base = env as unknown as Env;
const good = await privateJwk("good");
const ed = await privateJwk("ed", "EdDSA");
const { d: _d, ...publicOnly } = good;
const p384 = { ...(await exportJWK((await generateKeyPair("ES384", { extractable: true })).privateKey)), kid: "p384" };
const rsa = { ...(await exportJWK((await generateKeyPair("RS256", { extractable: true })).privateKey)), kid: "rsa" };
const other = await privateJwk("other");
const otherEd = await privateJwk("other-ed", "EdDSA");

const { errorLog } = silenceConfigLogs();

async function problemsOf(overrides: Partial<Env>): Promise<string[]> {
  const result = await resolveConfig({ ...base, ...overrides });
  if (result.ok) throw new Error("expected an invalid configuration");
  return result.problems;
}

const keys = (...list: unknown[]) => JSON.stringify(list);

describe("ASSERTION_KEYS", () => {
  it.each<[string, string, string]>([
    ["not JSON", "[{kid:", "ASSERTION_KEYS is not valid JSON: it must be a JSON array of private JWKs"],
    ["a JWK, not an array", JSON.stringify(good), "ASSERTION_KEYS must be a non-empty JSON array of private JWKs"],
    ["an empty array", "[]", "ASSERTION_KEYS must be a non-empty JSON array of private JWKs"],
    ["an array of strings", keys("abc"), "ASSERTION_KEYS[0] must be a JWK object"],
    ["a key without kid", keys({ ...good, kid: undefined }), 'ASSERTION_KEYS[0] must have a "kid"'],
    ["a key with an empty kid", keys({ ...good, kid: "" }), 'ASSERTION_KEYS[0] must have a "kid"'],
    ["two keys with one kid", keys(good, { ...other, kid: "good" }), 'ASSERTION_KEYS[1] (kid "good") repeats a kid'],
    ["a P-384 key", keys(p384), 'ASSERTION_KEYS[0] (kid "p384") has crv "P-384": an EC key must be on P-256'],
    ["an X25519 key", keys({ ...ed, crv: "X25519" }), 'ASSERTION_KEYS[0] (kid "ed") has crv "X25519": an OKP key must be on Ed25519'],
    ["an RSA key", keys(rsa), 'ASSERTION_KEYS[0] (kid "rsa") has kty "RSA": only "EC" (P-256, ES256) and "OKP" (Ed25519, EdDSA) keys are supported'],
    ["a symmetric key", keys({ kty: "oct", k: "c2VjcmV0", kid: "hmac" }), 'ASSERTION_KEYS[0] (kid "hmac") has kty "oct"'],
    ["a public key only", keys(publicOnly), 'ASSERTION_KEYS[0] (kid "good") is a public key: it needs its private member "d"'],
    ["an alg that is not the curve's", keys({ ...good, alg: "ES384" }), 'ASSERTION_KEYS[0] (kid "good") has alg "ES384": an EC P-256 key signs with ES256'],
    ["a use other than sig", keys({ ...good, use: "enc" }), 'ASSERTION_KEYS[0] (kid "good") has use "enc"'],
    ["x and y of another key", keys({ ...good, x: other.x, y: other.y }), 'ASSERTION_KEYS[0] (kid "good")'],
    ["an Ed25519 x of another key", keys({ ...ed, x: otherEd.x }), 'ASSERTION_KEYS[0] (kid "ed")'],
    ["a d that is not a key", keys({ ...good, d: "AAAA" }), 'ASSERTION_KEYS[0] (kid "good") is not a valid EC P-256 private key'],
  ])("refuses %s", async (_, value, message) => {
    const problems = await problemsOf({ ASSERTION_KEYS: value });
    expect(problems).toEqual([expect.stringContaining(message)]);
    // The gateway then answers 503 to every request.
    expect((await gatewayFetchWith({ ASSERTION_KEYS: value }, "/public/x")).status).toBe(503);
  });

  it("reports every bad key together, and never a private member, in a problem or in the log", async () => {
    const problems = await problemsOf({ ASSERTION_KEYS: keys({ ...good, x: other.x, y: other.y }, p384, { ...ed, d: "AAAA" }, publicOnly), ASSERTION_ISSUER: "has space" });
    expect(problems).toHaveLength(5);
    const logged = errorLog();
    expect(logged).toContain("config.invalid");
    for (const text of [...problems, logged]) {
      for (const key of [good, other, p384, ed]) expect(text).not.toContain(key.d!);
    }
  });

  it("accepts P-256 and Ed25519 keys, public halves published in order", async () => {
    const result = await resolveConfig({ ...base, ASSERTION_KEYS: keys(good, ed) });
    if (!result.ok) throw new Error(result.problems.join("; "));
    const { assertion } = result.config;
    expect(assertion!.keys.signing).toMatchObject({ kid: "good", alg: "ES256" });
    expect(assertion!.keys.published.map((key: JWK) => [key.kid, key.alg, "d" in key])).toEqual([["good", "ES256", false], ["ed", "EdDSA", false]]);
    expect(assertion!.issuer).toBeNull();
  });

  it("is no assertion at all when unset or empty", async () => {
    for (const value of [undefined, ""]) {
      const result = await resolveConfig({ ...base, ASSERTION_KEYS: value });
      expect(result.ok && result.config.assertion).toBeNull();
    }
  });
});

describe("ASSERTION_ISSUER and ASSERTION_AUDIENCE", () => {
  it.each([
    ["ASSERTION_ISSUER", "https://sso example.com"],
    ["ASSERTION_AUDIENCE", "app\n"],
    ["ASSERTION_AUDIENCE", "x".repeat(513)],
  ])("refuses %s %j", async (name, value) => {
    const problems = await problemsOf({ ASSERTION_KEYS: keys(good), [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name} \\(`));
  });
});
