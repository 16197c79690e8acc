/**
 * SECURITY.md I-03, black-box: assertions from a live gateway (`wrangler dev`, the shared one,
 * which signs with test/e2e/gateways.ts's keys) checked by two independent verifiers fetching
 * the JWKS over HTTP, as an origin would: jose's `createRemoteJWKSet`, and PyJWT (Debian's
 * python3-jwt, `.ci/run`) in its own process. Both accept the real ones and refuse the rest.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { base64url, createRemoteJWKSet, generateKeyPair, jwtVerify, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { E2E_ASSERTION_AUDIENCE, E2E_ASSERTION_KEYS, type RemoteOrigin, type SharedGateway, useGateway } from "./gateways";
import { loginAs, rawRequest } from "./harness";
import { observe, sessionCookie, tokenParts } from "./helpers";

const PYTHON_VERIFIER = fileURLToPath(new URL("./verifiers/verify_assertion.py", import.meta.url));

let gateway: SharedGateway;
let origin: RemoteOrigin;
let issuer: string;

beforeAll(async () => {
  ({ gateway, origin } = await useGateway("shared"));
  // The default issuer: https:// and the Host the request came with.
  issuer = `https://127.0.0.1:${gateway.port}`;
});

interface Verdict {
  ok: boolean;
  claims?: Record<string, unknown>;
  error?: string;
}

interface VerifyOptions {
  audience?: string;
  /** Verify as if this many seconds later. */
  laterSeconds?: number;
}

async function joseVerifies(tokens: string[], options: VerifyOptions = {}): Promise<Verdict[]> {
  const jwks = createRemoteJWKSet(new URL(`${gateway.url}/_gateway/jwks.json`));
  return Promise.all(
    tokens.map(async (token) => {
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer,
          audience: options.audience ?? E2E_ASSERTION_AUDIENCE,
          algorithms: ["ES256", "EdDSA"],
          currentDate: new Date(Date.now() + (options.laterSeconds ?? 0) * 1000),
        });
        return { ok: true, claims: payload as Record<string, unknown> };
      } catch (error) {
        return { ok: false, error: (error as { code?: string }).code ?? String(error) };
      }
    }),
  );
}

function pythonVerifies(tokens: string[], options: VerifyOptions = {}): Promise<Verdict[]> {
  const request = {
    jwks_url: `${gateway.url}/_gateway/jwks.json`,
    issuer,
    audience: options.audience ?? E2E_ASSERTION_AUDIENCE,
    tokens,
    later_seconds: options.laterSeconds ?? 0,
  };
  return new Promise((resolve, reject) => {
    // Debian's python, which sees python3-jwt (the `python3` on PATH may be another one).
    const child = spawn("/usr/bin/python3", [PYTHON_VERIFIER], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`the PyJWT verifier exited with ${code}: ${stderr}`));
      resolve(stdout.trim().split("\n").map((line) => JSON.parse(line) as Verdict));
    });
    child.stdin.end(JSON.stringify(request));
  });
}

const VERIFIERS = [
  ["jose", joseVerifies],
  ["PyJWT", pythonVerifies],
] as const;

/** The assertion the origin got with a GET through the gateway, and the session's public id. */
async function liveAssertion(sub: string): Promise<{ jwt: string; publicId: string }> {
  const { token } = await loginAs(gateway.port, { sub, email: `${sub}@example.com`, name: "Zoe Test", roles: ["staff"] });
  const { forwarded } = await observe(origin, () => rawRequest(gateway.port, "GET", "/zzz", { cookie: sessionCookie(token) }));
  const jwt = forwarded[0]!.headers["x-auth-assertion"];
  if (typeof jwt !== "string") throw new Error("the origin got no X-Auth-Assertion");
  return { jwt, publicId: tokenParts(token).publicId };
}

/** The assertion the blog (ORIGINS.blog, public, beside the app on the same host) got for a session. */
async function blogAssertion(sub: string): Promise<string> {
  const { token } = await loginAs(gateway.port, { sub, roles: ["staff"] });
  const { forwarded } = await observe(origin, () => rawRequest(gateway.port, "GET", "/blog/a-post", { cookie: sessionCookie(token) }));
  expect(forwarded[0]!.rawPath, "the blog's origin, under its prefix").toBe("/blog-origin/blog/a-post");
  const jwt = forwarded[0]!.headers["x-auth-assertion"];
  if (typeof jwt !== "string") throw new Error("the blog got no X-Auth-Assertion");
  return jwt;
}

/** Forgeries built from a real assertion's payload. */
async function forgeries(real: string): Promise<Record<string, string>> {
  const [header, payload, signature] = real.split(".") as [string, string, string];
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload)));
  const escalated = base64url.encode(JSON.stringify({ ...claims, roles: ["admin"] }));
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const stranger = (kid: string) => new SignJWT({ ...claims, roles: ["admin"] }).setProtectedHeader({ alg: "ES256", kid, typ: "JWT" }).sign(privateKey);
  const jwksText = await (await fetch(`${gateway.url}/_gateway/jwks.json`)).text();
  return {
    "a tampered payload": `${header}.${escalated}.${signature}`,
    "an unknown kid": await stranger("not-published"),
    "another key under the published kid": await stranger("e2e-es256"),
    'alg "none"': `${base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }))}.${escalated}.`,
    "HS256 keyed with the published JWKS": await new SignJWT({ ...claims, roles: ["admin"] })
      .setProtectedHeader({ alg: "HS256", kid: "e2e-es256", typ: "JWT" })
      .sign(new TextEncoder().encode(jwksText)),
    "a signature from another JWT": `${header}.${escalated}.${(await stranger("e2e-es256")).split(".")[2]}`,
    "the gateway's own header on a stranger's signature": `${header}.${payload}.${(await stranger("e2e-es256")).split(".")[2]}`,
  };
}

describe("I-03 the assertion, verified by an origin", () => {
  it.each(VERIFIERS)("%s accepts a live gateway's assertion and reads the session's identity from it", async (_, verifies) => {
    const { jwt, publicId } = await liveAssertion(`a03-${_.toLowerCase()}`);
    const [verdict] = await verifies([jwt]);
    expect(verdict).toEqual({
      ok: true,
      claims: {
        iss: issuer,
        aud: E2E_ASSERTION_AUDIENCE,
        sub: `a03-${_.toLowerCase()}`,
        principal: "user",
        email: `a03-${_.toLowerCase()}@example.com`,
        name: "Zoe Test",
        roles: ["staff"],
        sid: publicId,
        auth_time: expect.any(Number),
        iat: expect.any(Number),
        exp: expect.any(Number),
      },
    });
    expect((verdict!.claims!.exp as number) - (verdict!.claims!.iat as number)).toBe(60);
  });

  /** Why each verifier refuses each forgery of `forgeries`, in its order. */
  const REFUSALS = {
    jose: ["ERR_JWS_SIGNATURE_VERIFICATION_FAILED", "ERR_JWKS_NO_MATCHING_KEY", "ERR_JWS_SIGNATURE_VERIFICATION_FAILED", "ERR_JOSE_ALG_NOT_ALLOWED", "ERR_JOSE_ALG_NOT_ALLOWED", "ERR_JWS_SIGNATURE_VERIFICATION_FAILED", "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"],
    // PyJWKClientError: no published key has that kid (an unsigned token has none).
    PyJWT: ["InvalidSignatureError", "PyJWKClientError", "InvalidSignatureError", "PyJWKClientError", "InvalidAlgorithmError", "InvalidSignatureError", "InvalidSignatureError"],
  };

  it.each(VERIFIERS)("%s refuses forgeries: tampered payload, unknown kid, another key, none, HS256", async (name, verifies) => {
    const { jwt } = await liveAssertion(`a03-forged-${name.toLowerCase()}`);
    const forged = await forgeries(jwt);
    const verdicts = await verifies(Object.values(forged));
    expect(Object.fromEntries(Object.keys(forged).map((what, index) => [what, verdicts[index]!.ok ? "accepted" : verdicts[index]!.error]))).toEqual(
      Object.fromEntries(Object.keys(forged).map((what, index) => [what, REFUSALS[name][index]])),
    );
  });

  it.each(VERIFIERS)("%s refuses an assertion for another audience, and one 61 s after it was issued", async (_, verifies) => {
    const { jwt } = await liveAssertion(`a03-aud-${_.toLowerCase()}`);
    const [wrongAudience] = await verifies([jwt], { audience: "another-app" });
    const [expired] = await verifies([jwt], { laterSeconds: 61 });
    const [stillValid] = await verifies([jwt], { laterSeconds: 25 });
    expect([wrongAudience!.ok, expired!.ok, stillValid!.ok]).toEqual([false, false, true]);
  });
});

describe("R6 one audience per origin", () => {
  it.each(VERIFIERS)("%s, verifying for the app, refuses the assertion the blog beside it received; the blog's own audience accepts it", async (_, verifies) => {
    const jwt = await blogAssertion(`r06-${_.toLowerCase()}`);
    const [asApp] = await verifies([jwt]);
    const [asBlog] = await verifies([jwt], { audience: `${E2E_ASSERTION_AUDIENCE}#blog` });
    expect([asApp!.ok, asBlog!.ok]).toEqual([false, true]);
    expect(asApp!.error).toMatch(_ === "jose" ? /ERR_JWT_CLAIM_VALIDATION_FAILED/ : /InvalidAudienceError/);
  });
});

describe("I-03 the JWKS and the private keys", () => {
  it("serves the public halves with a cache header, and no private member in any answer or log line", async () => {
    const { jwt } = await liveAssertion("a03-private");
    const response = await fetch(`${gateway.url}/_gateway/jwks.json`);
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    const jwksText = await response.text();
    expect(JSON.parse(jwksText).keys).toEqual(E2E_ASSERTION_KEYS.map(({ d: _d, ...publicHalf }) => publicHalf));
    const session = await rawRequest(gateway.port, "GET", "/_gateway/session", {});
    for (const text of [jwksText, jwt, session.body, JSON.stringify(session.headers), gateway.output.join("")]) {
      for (const key of E2E_ASSERTION_KEYS) expect(text).not.toContain(key.d);
    }
  });
});
