/**
 * OpenID Connect Back-Channel Logout 1.0: `POST /_gateway/backchannel-logout` ends exactly the
 * right sessions (by `sid`, or all of a `sub`), refuses every malformed, forged or replayed
 * logout token with 400 and no state change, and touches no Durable Object for junk
 * (SECURITY.md T-04, T-05, T-06, D-03). Sessions come from the fake provider, whose
 * signing key the tests hold, so they can sign logout tokens as the provider would.
 */
import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { importJWK, SignJWT, generateKeyPair, type JWTPayload } from "jose";
import { describe, expect, it } from "vitest";
import { idpIndex, type IdpIndexKey } from "../src/auth/oidc/idp-index";
import { indexStub } from "../src/session/stubs";

const idpSessionsStub = (_: unknown, key: IdpIndexKey) => indexStub(env, idpIndex(key));
import { logoutTokenReplayStub } from "../src/durable/logout-token-replay";
import { sessionStub } from "../src/session/stubs";
import { createGateway } from "../src/app";
import type { Env } from "../src/env";
import { COOKIE_NAME, refusingFetch, sessionTokenFrom } from "./helpers";
import { base64url, CookieJar, FAKE_CLIENT_ID, FAKE_ISSUER, FAKE_SIGNING_JWK, fakeSettings, gatewayRequest, loginWithFake } from "./oidc/helpers";

const settings = fakeSettings();
const EVENT = "http://schemas.openid.net/event/backchannel-logout";
const providerKey = await importJWK(FAKE_SIGNING_JWK, "RS256");
const strangerKey = (await generateKeyPair("RS256")).privateKey;

/** A browser logged in through the fake provider as `sub`, in provider session `sid`; answers its session token. */
async function loginAs(sub: string, sid?: string): Promise<string> {
  const response = await loginWithFake(settings, new CookieJar(), { scenario: "good", sub, ...(sid ? { sid } : {}) });
  const token = sessionTokenFrom(response);
  if (!token) throw new Error(`login failed: ${response.status}`);
  return token;
}

async function isLive(token: string): Promise<boolean> {
  const status = (await gatewayRequest(settings, new CookieJar(), "/anything", { headers: { cookie: `${COOKIE_NAME}=${token}` } })).status;
  if (status !== 200 && status !== 401) throw new Error(`unexpected ${status}`);
  return status === 200;
}

interface TokenOptions {
  header?: Record<string, unknown>;
  key?: CryptoKey | Uint8Array;
  alg?: string;
}

/** A logout token as the provider signs it; `claims` overrides (undefined removes a claim). */
async function logoutToken(claims: Record<string, unknown> = {}, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    iss: FAKE_ISSUER,
    aud: FAKE_CLIENT_ID,
    iat: now,
    exp: now + 120,
    jti: crypto.randomUUID(),
    events: { [EVENT]: {} },
    ...claims,
  };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  const alg = options.alg ?? "RS256";
  const header = { alg, kid: FAKE_SIGNING_JWK.kid, typ: "logout+jwt", ...options.header };
  for (const [name, value] of Object.entries(header)) if (value === undefined) delete (header as Record<string, unknown>)[name];
  return new SignJWT(payload as JWTPayload).setProtectedHeader(header as { alg: string }).sign(options.key ?? providerKey);
}

function unsecuredToken(claims: Record<string, unknown>): string {
  return `${base64url(JSON.stringify({ alg: "none", typ: "logout+jwt" }))}.${base64url(JSON.stringify(claims))}.`;
}

function postLogout(body: string, contentType = "application/x-www-form-urlencoded", overrides = {}, gateway?: ExportedHandler<Env>): Promise<Response> {
  return gatewayRequest(fakeSettings(overrides), new CookieJar(), "/_gateway/backchannel-logout", { method: "POST", headers: { "content-type": contentType }, body }, gateway);
}

function postToken(token: string): Promise<Response> {
  return postLogout(`logout_token=${encodeURIComponent(token)}`);
}

async function expectRefused(response: Response): Promise<void> {
  expect(response.status).toBe(400);
  expect(response.headers.get("cache-control")).toBe("no-store");
  expect(await response.json()).toEqual({ error: "invalid_request" });
}

describe("back-channel logout: which sessions end", () => {
  it("ends the sessions of the provider session `sid`, and only those (T-04)", async () => {
    const sub = `bc-${crypto.randomUUID()}`;
    const [first, second, other] = [await loginAs(sub, "sid-a"), await loginAs(sub, "sid-a"), await loginAs(sub, "sid-b")];
    const response = await postToken(await logoutToken({ sid: "sid-a", sub }));
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await isLive(first)).toBe(false);
    expect(await isLive(second)).toBe(false);
    expect(await isLive(other)).toBe(true);
  });

  it("ends every session of the subject when the token has only `sub`", async () => {
    const sub = `bc-${crypto.randomUUID()}`;
    const tokens = [await loginAs(sub, "s1"), await loginAs(sub, "s2"), await loginAs(sub)];
    const bystander = await loginAs(`bc-${crypto.randomUUID()}`, "s1");
    expect((await postToken(await logoutToken({ sub }))).status).toBe(200);
    for (const token of tokens) expect(await isLive(token)).toBe(false);
    expect(await isLive(bystander)).toBe(true);
  });

  it("indexes a session under its issuer and provider session id", async () => {
    const sub = `bc-${crypto.randomUUID()}`;
    const token = await loginAs(sub, "shared-sid");
    const index = idpSessionsStub(env, ["sid", FAKE_ISSUER, "shared-sid"]);
    const sessions = await index.list();
    expect(sessions.map((session) => session.id)).toContain(token.split(".")[0]);
  });

  it("answers 200 when the sessions have already ended", async () => {
    expect((await postToken(await logoutToken({ sid: `gone-${crypto.randomUUID()}` }))).status).toBe(200);
    expect((await postToken(await logoutToken({ sub: `nobody-${crypto.randomUUID()}` }))).status).toBe(200);
  });

  it("refuses a replayed logout token, and the session created since survives it (T-06)", async () => {
    const sub = `bc-${crypto.randomUUID()}`;
    const sid = `sid-${crypto.randomUUID()}`;
    const before = await loginAs(sub, sid);
    const token = await logoutToken({ sid, sub });
    expect((await postToken(token)).status).toBe(200);
    expect(await isLive(before)).toBe(false);
    const after = await loginAs(sub, sid);
    await expectRefused(await postToken(token));
    expect(await isLive(after)).toBe(true);
  });

  it("accepts typ application/logout+jwt, and no typ at all", async () => {
    const sub = `bc-${crypto.randomUUID()}`;
    const first = await loginAs(sub, "t1");
    expect((await postToken(await logoutToken({ sid: "t1", sub }, { header: { typ: "application/logout+jwt" } }))).status).toBe(200);
    expect(await isLive(first)).toBe(false);
    const second = await loginAs(sub, "t2");
    expect((await postToken(await logoutToken({ sid: "t2", sub }, { header: { typ: undefined } }))).status).toBe(200);
    expect(await isLive(second)).toBe(false);
  });
});

describe("back-channel logout: token validation (T-05)", () => {
  const now = () => Math.floor(Date.now() / 1000);
  const cases: [string, (sid: string, sub: string) => Promise<string>][] = [
    ["a signature by a key the provider does not publish", (sid, sub) => logoutToken({ sid, sub }, { key: strangerKey })],
    ["a signature by an unknown key id", (sid, sub) => logoutToken({ sid, sub }, { key: strangerKey, header: { kid: "stranger" } })],
    ["alg none", async (sid, sub) => unsecuredToken({ iss: FAKE_ISSUER, aud: FAKE_CLIENT_ID, iat: now(), jti: "j", sid, sub, events: { [EVENT]: {} } })],
    ["HS256 with the client secret", (sid, sub) => logoutToken({ sid, sub }, { alg: "HS256", key: new TextEncoder().encode("fake-client-secret-0123456789abcdef0123456789") })],
    ["another issuer", (sid, sub) => logoutToken({ sid, sub, iss: "https://evil.example" })],
    ["another audience", (sid, sub) => logoutToken({ sid, sub, aud: "another-client" })],
    ["an expired token", (sid, sub) => logoutToken({ sid, sub, iat: now() - 600, exp: now() - 300 })],
    ["an iat too long ago, without exp", (sid, sub) => logoutToken({ sid, sub, iat: now() - 3600, exp: undefined })],
    ["an iat in the future", (sid, sub) => logoutToken({ sid, sub, iat: now() + 600, exp: now() + 900 })],
    ["no jti", (sid, sub) => logoutToken({ sid, sub, jti: undefined })],
    ["no events", (sid, sub) => logoutToken({ sid, sub, events: undefined })],
    ["events without the back-channel member", (sid, sub) => logoutToken({ sid, sub, events: { "http://schemas.openid.net/event/other": {} } })],
    ["a back-channel member that is not an object", (sid, sub) => logoutToken({ sid, sub, events: { [EVENT]: true } })],
    ["a nonce", (sid, sub) => logoutToken({ sid, sub, nonce: "n" })],
    ["neither sub nor sid", () => logoutToken({})],
    ["a sid that is not a string", (_, sub) => logoutToken({ sub, sid: 42 })],
    ["an ID token instead", (sid, sub) => logoutToken({ sid, sub, nonce: "n", events: undefined }, { header: { typ: "JWT" } })],
    ["typ JWT", (sid, sub) => logoutToken({ sid, sub }, { header: { typ: "JWT" } })],
    ["typ at+jwt", (sid, sub) => logoutToken({ sid, sub }, { header: { typ: "at+jwt" } })],
  ];

  it.each(cases)("refuses %s with 400 and ends nothing", async (_, make) => {
    const sub = `bc-${crypto.randomUUID()}`;
    const sid = `sid-${crypto.randomUUID()}`;
    const token = await loginAs(sub, sid);
    await expectRefused(await postToken(await make(sid, sub)));
    expect(await isLive(token)).toBe(true);
  });

  it.each([
    ["JSON instead of a form", JSON.stringify({ logout_token: "x" }), "application/json"],
    ["no logout_token", "token=x", undefined],
    ["two logout_token values", "logout_token=a.b.c&logout_token=a.b.c", undefined],
    ["an empty logout_token", "logout_token=", undefined],
    ["something that is not a JWT", "logout_token=not-a-jwt", undefined],
    ["a JWT of garbage", "logout_token=eyJ.eyJ.sig", undefined],
    ["a body over 16 KiB", `logout_token=${"a".repeat(17 * 1024)}`, undefined],
  ])("refuses %s with 400", async (_, body, contentType) => {
    await expectRefused(await postLogout(body, contentType));
  });

  it("rejects junk and forged tokens before touching any Durable Object (D-03)", async () => {
    const namespaces: DurableObjectNamespace[] = [env.SESSIONS, env.USER_SESSIONS, env.IDP_SESSIONS, env.LOGOUT_TOKENS];
    const count = async () => Promise.all(namespaces.map(async (namespace) => (await listDurableObjectIds(namespace)).length));
    const before = await count();
    const junk = [
      "logout_token=x",
      `logout_token=${await logoutToken({ sub: "victim" }, { key: strangerKey })}`,
      `logout_token=${unsecuredToken({ iss: FAKE_ISSUER, sub: "victim" })}`,
      `logout_token=${await logoutToken({ sub: "victim", iss: "https://evil.example" })}`,
    ];
    for (let round = 0; round < 5; round++) {
      for (const body of junk) expect((await postLogout(body)).status).toBe(400);
    }
    expect(await count()).toEqual(before);
  });

  it("keeps a used jti only until the token would be refused anyway, then forgets it (bounded replay cache)", async () => {
    const jti = crypto.randomUUID();
    const iat = Math.floor(Date.now() / 1000);
    expect((await postToken(await logoutToken({ sub: `nobody-${jti}`, jti, iat, exp: iat + 120 }))).status).toBe(200);
    const replay = logoutTokenReplayStub(env, FAKE_ISSUER, jti);
    const [stored, alarm] = await runInDurableObject(replay, async (_, state) => [await state.storage.get<number>("retainUntil"), await state.storage.getAlarm()]);
    expect(stored).toBe((iat + 120 + 60) * 1000);
    expect(alarm).toBe(stored);
    expect(await runDurableObjectAlarm(replay)).toBe(true);
    expect(await runInDurableObject(replay, async (_, state) => (await state.storage.list()).size)).toBe(0);
  });
});

describe("back-channel logout endpoint", () => {
  it("answers 503 when the provider cannot be reached, so the provider retries", async () => {
    // An issuer no other test discovers (discovery is cached per isolate), reached through a
    // fetch that fails as a refused connection does.
    const refusing = createGateway({ providerFetch: refusingFetch() });
    const token = await logoutToken({ sub: "x", iss: "http://127.0.0.1:9" });
    const response = await postLogout(`logout_token=${token}`, undefined, { OIDC_ISSUER: "http://127.0.0.1:9" }, refusing);
    expect(response.status).toBe(503);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("answers 503 when the provider's keys cannot be fetched, so the provider retries", async () => {
    const keysDown = createGateway({ providerFetch: refusingFetch((request) => new URL(request.url).pathname === "/jwks") });
    const response = await postLogout(`logout_token=${await logoutToken({ sub: `nobody-${crypto.randomUUID()}` })}`, undefined, {}, keysDown);
    expect(response.status).toBe(503);
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("answers 405 to other methods", async () => {
    const response = await gatewayRequest(settings, new CookieJar(), "/_gateway/backchannel-logout");
    expect(response.status).toBe(405);
  });

  it("answers 404 in delegated mode", async () => {
    const response = await gatewayRequest({}, new CookieJar(), "/_gateway/backchannel-logout", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "logout_token=x" });
    expect(response.status).toBe(404);
  });
});

describe("the provider's side of a session", () => {
  it("lists the session under the provider's sid and subject, keeps the ID token for logout, and shows neither", async () => {
    const sub = `rec-${crypto.randomUUID()}`;
    const token = await loginAs(sub, "record-sid");
    const id = token.split(".")[0]!;
    for (const key of [["sid", FAKE_ISSUER, "record-sid"], ["sub", FAKE_ISSUER, sub]] as const) {
      expect((await idpSessionsStub(env, key).list()).map((session) => session.id)).toEqual([id]);
    }
    const view = await (await gatewayRequest(settings, new CookieJar(), "/_gateway/session", { headers: { cookie: `${COOKIE_NAME}=${token}` } })).text();
    expect(view).toContain(id);
    expect(view).not.toContain("record-sid");
    expect(view).not.toContain("eyJ");
    expect((await sessionStub(env, id).logout()).logoutHint).toMatch(/^eyJ/);
  });

  it("leaves the provider indexes empty when the session ends", async () => {
    const sub = `rec-${crypto.randomUUID()}`;
    const sid = `sid-${crypto.randomUUID()}`;
    const token = await loginAs(sub, sid);
    await gatewayRequest(settings, new CookieJar(), "/_gateway/logout", { method: "POST", headers: { cookie: `${COOKIE_NAME}=${token}` } });
    // The session took its id out of both: nothing is left to expire, before any listing
    // (which would drop a dead id itself). (The indexes keep their ids in SQL, which
    // storage.list() does not show: a size of 0 there held with the id still stored.)
    for (const key of [["sid", FAKE_ISSUER, sid], ["sub", FAKE_ISSUER, sub]] as const) {
      expect(await runDurableObjectAlarm(idpSessionsStub(env, key))).toBe(false);
      expect(await idpSessionsStub(env, key).list()).toEqual([]);
    }
  });
});
