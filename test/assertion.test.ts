/**
 * The signed assertion (docs/design.md "Identity the origin can verify"; SECURITY.md I-03)
 * through the Worker's fetch handler, verified as an origin would: jose against the JWKS the
 * gateway serves.
 */
import { base64url, decodeProtectedHeader, SignJWT, type JWK } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { assertionGateway, assertionOf, forwarded, newSession, privateJwk, verifierFor } from "./assertion-helpers";
import { echoHeader, gatewayFetchIn, gatewayFetchWith, type EchoBody } from "./helpers";

const current = await privateJwk("key-2026-a");
const next = await privateJwk("key-2026-b");
const edKey = await privateJwk("key-ed", "EdDSA");
const stranger = await privateJwk("key-2026-a"); // the same kid, another key: not the gateway's
const gateway = assertionGateway([current]);
const verify = verifierFor(gateway);

afterEach(() => {
  vi.restoreAllMocks();
});

describe("X-Auth-Assertion", () => {
  it("sends the session's identity as a signed assertion beside the plain headers", async () => {
    const { user, token, sessionId, createdAt } = await newSession({ roles: ["editor", "río"] });
    const before = Math.floor(Date.now() / 1000);
    const body = await forwarded(gateway, token);
    const jwt = assertionOf(body)!;
    expect(echoHeader(body, "x-auth-user")).toBe(user.sub);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: "ES256", kid: "key-2026-a", typ: "JWT" });
    const { payload } = await verify(jwt);
    expect(payload).toEqual({
      iss: "https://gateway.test",
      aud: "https://gateway.test",
      sub: user.sub,
      principal: "user",
      email: user.email,
      name: user.name,
      roles: ["editor", "río"],
      sid: sessionId,
      auth_time: Math.floor(Date.parse(createdAt) / 1000),
      iat: expect.any(Number),
      exp: expect.any(Number),
    });
    expect(payload.sid).toBe(echoHeader(body, "x-auth-session"));
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.exp! - payload.iat!).toBe(60);
  });

  it("leaves out absent claims and keeps an empty roles array", async () => {
    const { token } = await newSession({ email: undefined, name: undefined, roles: [] });
    const { payload } = await verify(assertionOf(await forwarded(gateway, token))!);
    expect(payload).not.toHaveProperty("email");
    expect(payload).not.toHaveProperty("name");
    expect(payload.roles).toEqual([]);
  });

  it("states ASSERTION_ISSUER and ASSERTION_AUDIENCE when they are set", async () => {
    const configured = assertionGateway([current], { ASSERTION_ISSUER: "https://sso.example.com", ASSERTION_AUDIENCE: "billing-app" });
    const { token } = await newSession();
    const jwt = assertionOf(await forwarded(configured, token))!;
    const { payload } = await verifierFor(configured)(jwt, { issuer: "https://sso.example.com", audience: "billing-app" });
    expect(payload.iss).toBe("https://sso.example.com");
    expect(payload.aud).toBe("billing-app");
  });

  it("signs with EdDSA when the first key is Ed25519", async () => {
    const ed = assertionGateway([edKey, current]);
    const { token, user } = await newSession();
    const jwt = assertionOf(await forwarded(ed, token))!;
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: "EdDSA", kid: "key-ed", typ: "JWT" });
    expect((await verifierFor(ed)(jwt)).payload.sub).toBe(user.sub);
  });

  it("sends no assertion without a session, and none when ASSERTION_KEYS is unset", async () => {
    const anonymous = await (await gatewayFetchIn(gateway, "/public/x")).json<EchoBody>();
    expect(assertionOf(anonymous)).toBeNull();
    const { token } = await newSession();
    const plain = await forwarded({ ...gateway, ASSERTION_KEYS: undefined }, token);
    expect(echoHeader(plain, "x-auth-user")).not.toBeNull();
    expect(assertionOf(plain)).toBeNull();
  });

  it.each(["X-Auth-Assertion", "x-auth-assertion", "X_Auth_Assertion", "x-auth_assertion"])(
    "strips a client-sent %s: without a session the origin gets none, with one only ours",
    async (name) => {
      const forged = await new SignJWT({ sub: "root", roles: ["admin"] }).setProtectedHeader({ alg: "ES256", kid: "key-2026-a" }).sign(await importPrivate(stranger));
      const anonymous = await (await gatewayFetchIn(gateway, "/public/x", { headers: { [name]: forged } })).json<EchoBody>();
      expect(anonymous.headers.filter(([key]) => key.replaceAll("_", "-").toLowerCase() === "x-auth-assertion")).toEqual([]);
      const { token, user } = await newSession();
      const body = await forwarded(gateway, token, "/zzz", { [name]: forged });
      const copies = body.headers.filter(([key]) => key.replaceAll("_", "-").toLowerCase() === "x-auth-assertion");
      expect(copies).toHaveLength(1);
      expect(copies[0]![1]).not.toContain(forged);
      expect((await verify(copies[0]![1])).payload.sub).toBe(user.sub);
    },
  );
});

describe("an origin verifying with jose against the served JWKS", () => {
  async function realAssertion(): Promise<string> {
    const { token } = await newSession();
    return assertionOf(await forwarded(gateway, token))!;
  }

  it("refuses a tampered payload", async () => {
    const [header, payload, signature] = (await realAssertion()).split(".");
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload!)));
    const tampered = base64url.encode(JSON.stringify({ ...claims, roles: ["admin"] }));
    await expect(verify(`${header}.${tampered}.${signature}`)).rejects.toMatchObject({ code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" });
  });

  it("refuses an assertion for another audience", async () => {
    await expect(verify(await realAssertion(), { audience: "https://other-app.example" })).rejects.toMatchObject({ code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "aud" });
  });

  it("refuses an expired assertion (61 s after it was issued)", async () => {
    const jwt = await realAssertion();
    await expect(verify(jwt, { currentDate: new Date(Date.now() + 61_000) })).rejects.toMatchObject({ code: "ERR_JWT_EXPIRED" });
  });

  it("refuses an assertion signed by a key the JWKS does not list, under a listed kid or another", async () => {
    const claims = { iss: "https://gateway.test", aud: "https://gateway.test", sub: "root", roles: ["admin"] };
    for (const kid of ["key-2026-a", "unknown-kid"]) {
      const forged = await new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid, typ: "JWT" }).setIssuedAt().setExpirationTime("60s").sign(await importPrivate(stranger));
      await expect(verify(forged), kid).rejects.toMatchObject({ code: kid === "unknown-kid" ? "ERR_JWKS_NO_MATCHING_KEY" : "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" });
    }
  });

  it('refuses an unsigned assertion (alg "none")', async () => {
    const [, payload] = (await realAssertion()).split(".");
    const header = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT", kid: "key-2026-a" }));
    await expect(verify(`${header}.${payload}.`)).rejects.toThrow();
  });

  it("refuses HS256 keyed with the published public key (algorithm confusion)", async () => {
    const [, payload] = (await realAssertion()).split(".");
    const jwks = await (await gatewayFetchIn(gateway, "/_gateway/jwks.json")).text();
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload!)));
    const forged = await new SignJWT({ ...claims, roles: ["admin"] })
      .setProtectedHeader({ alg: "HS256", kid: "key-2026-a", typ: "JWT" })
      .sign(new TextEncoder().encode(jwks));
    await expect(verify(forged)).rejects.toMatchObject({ code: "ERR_JOSE_ALG_NOT_ALLOWED" });
  });
});

describe("rotation", () => {
  it("keeps an assertion of the old first key valid while the key is listed, and refuses it once removed", async () => {
    const { token } = await newSession();
    const old = assertionOf(await forwarded(assertionGateway([current]), token))!;
    const rotated = assertionGateway([next, current]);
    const fresh = assertionOf(await forwarded(rotated, token))!;
    expect(decodeProtectedHeader(fresh).kid).toBe("key-2026-b");
    const verifyRotated = verifierFor(rotated);
    await expect(verifyRotated(fresh)).resolves.toBeDefined();
    await expect(verifyRotated(old)).resolves.toBeDefined();
    await expect(verifierFor(assertionGateway([next]))(old)).rejects.toMatchObject({ code: "ERR_JWKS_NO_MATCHING_KEY" });
  });

  it("publishes a key added second before it signs anything", async () => {
    const staged = assertionGateway([current, next]);
    const { token } = await newSession();
    expect(decodeProtectedHeader(assertionOf(await forwarded(staged, token))!).kid).toBe("key-2026-a");
    const { keys } = await (await gatewayFetchIn(staged, "/_gateway/jwks.json")).json<{ keys: JWK[] }>();
    expect(keys.map((key) => key.kid)).toEqual(["key-2026-a", "key-2026-b"]);
  });
});

describe("GET /_gateway/jwks.json", () => {
  it("publishes every key's public members only, cacheable, to a client without a session", async () => {
    const response = await gatewayFetchIn(assertionGateway([current, edKey]), "/_gateway/jwks.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    expect(response.headers.get("content-type")).toBe("application/jwk-set+json");
    expect(response.headers.getSetCookie()).toEqual([]);
    const text = await response.text();
    for (const key of [current, edKey]) expect(text).not.toContain(key.d!);
    expect(JSON.parse(text)).toEqual({
      keys: [
        { kty: "EC", crv: "P-256", x: current.x, y: current.y, kid: "key-2026-a", alg: "ES256", use: "sig" },
        { kty: "OKP", crv: "Ed25519", x: edKey.x, kid: "key-ed", alg: "EdDSA", use: "sig" },
      ],
    });
  });

  it("answers HEAD like GET, and 405 to other methods", async () => {
    const head = await gatewayFetchIn(gateway, "/_gateway/jwks.json", { method: "HEAD" });
    expect(head.status).toBe(200);
    const post = await gatewayFetchIn(gateway, "/_gateway/jwks.json", { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers 404 when ASSERTION_KEYS is unset", async () => {
    const response = await gatewayFetchWith({}, "/_gateway/jwks.json");
    expect(response.status).toBe(404);
  });
});

describe("re-use", () => {
  it("re-uses a session's assertion while its identity is unchanged, and signs each session its own", async () => {
    const reusing = assertionGateway([current]);
    const a = await newSession();
    const b = await newSession();
    const first = assertionOf(await forwarded(reusing, a.token))!;
    const second = assertionOf(await forwarded(reusing, a.token))!;
    const other = assertionOf(await forwarded(reusing, b.token))!;
    expect(second).toBe(first);
    expect(other).not.toBe(first);
    expect((await verify(other)).payload.sub).toBe(b.user.sub);
  });
});

describe("private key members never leave the gateway", () => {
  it("appear in no answer and no log line: login, proxied requests, the JWKS, gateway endpoints, refusals", async () => {
    const logged: string[] = [];
    for (const method of ["log", "warn", "error", "info", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map(String).join(" "));
      });
    }
    const keys = [current, next, edKey];
    const everyKey = assertionGateway(keys);
    const { token } = await newSession();
    const answers: Response[] = [];
    const ask = async (path: string, init: RequestInit = {}) => answers.push(await gatewayFetchIn(everyKey, path, init));
    const withCookie = { headers: { cookie: `__Host-session=${token}` } };
    await ask("/zzz", withCookie);
    await ask("/public/x", withCookie);
    await ask("/_gateway/jwks.json");
    await ask("/_gateway/session", withCookie);
    await ask("/_gateway/nothing", withCookie);
    await ask("/admin", withCookie);
    await ask("/zzz");
    await ask("/zzz", { headers: { cookie: "__Host-session=forged.forged.forged" } });
    // An invalid configuration (one key public-only) logs its problems and answers 503.
    const { d: _d, ...publicOnly } = next;
    answers.push(await gatewayFetchIn(assertionGateway([current, publicOnly, edKey]), "/zzz", withCookie));
    expect(answers.at(-1)!.status).toBe(503);
    expect(logged.join("\n")).toContain("ASSERTION_KEYS[1]");

    const texts = await Promise.all(answers.map(async (response) => `${[...response.headers].join("\n")}\n${await response.text()}`));
    for (const text of [...texts, ...logged]) {
      for (const key of keys) expect(text).not.toContain(key.d!);
    }
  });
});

async function importPrivate(jwk: JWK): Promise<CryptoKey> {
  const { importJWK } = await import("jose");
  return (await importJWK(jwk, jwk.alg)) as CryptoKey;
}
