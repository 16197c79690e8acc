/**
 * The access policy in OIDC mode: ALLOWED_USERS at the callback (an unverified email never
 * counts), `auth_time` as the session's authenticatedAt, and re-authentication — `max_age` in
 * the authorization request, honoured by a real provider (`oidc-provider`), and an ID token
 * whose `auth_time` is too old refused at the callback.
 */
import { env } from "cloudflare:workers";
import { listDurableObjectIds } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { privateJwk } from "./assertion-helpers";
import { echoHeader, sessionTokenFrom, type EchoBody } from "./helpers";
import {
  CookieJar,
  fakeCode,
  fakeSettings,
  gatewayRequest,
  loginWithFake,
  providerSettings,
  signInAtProvider,
  startLogin,
  TRANSACTION_COOKIE,
  type StartedLogin,
  type Settings,
} from "./oidc/helpers";

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** `GET /_gateway/login` with max_age, as decide.ts sends a browser there. */
async function startLoginWithMaxAge(settings: Settings, jar: CookieJar, maxAgeSeconds: number): Promise<StartedLogin> {
  const response = await gatewayRequest(settings, jar, `/_gateway/login?return_to=%2Ffresh&max_age=${maxAgeSeconds}`, { headers: { accept: "text/html" } });
  expect(response.status).toBe(302);
  const authorizationUrl = new URL(response.headers.get("location")!);
  return { response, authorizationUrl, state: authorizationUrl.searchParams.get("state")!, nonce: authorizationUrl.searchParams.get("nonce")! };
}

function callback(settings: Settings, jar: CookieJar, login: StartedLogin, claims: Record<string, unknown>, sub = `u-${crypto.randomUUID()}`): Promise<Response> {
  const code = fakeCode(login, { scenario: "good", sub, claims });
  return gatewayRequest(settings, jar, `/_gateway/callback?code=${code}&state=${login.state}`, { headers: { accept: "text/html" } });
}

describe("ALLOWED_USERS at the OIDC callback", () => {
  const company = fakeSettings({ ALLOWED_USERS: JSON.stringify({ emailDomains: ["example.com"] }) });

  it("admits an account whose verified email is in the domain", async () => {
    const response = await loginWithFake(company, new CookieJar(), { scenario: "good", sub: "ann", claims: { email: "ann@example.com", email_verified: true } });
    expect(response.status).toBe(303);
    expect(sessionTokenFrom(response)).toBeTruthy();
  });

  it.each<[string, Record<string, unknown>]>([
    ["an email in the domain that the provider did not verify", { email: "ann@example.com", email_verified: false }],
    ["an email in the domain without email_verified", { email: "ann@example.com" }],
    ['an email in the domain with email_verified "yes"', { email: "ann@example.com", email_verified: "yes" }],
    ["a verified email of another domain", { email: "ann@gmail.com", email_verified: true }],
    ["no email at all", {}],
  ])("refuses %s: a 403 page naming the account, no session, no Durable Object", async (_, claims) => {
    const before = (await listDurableObjectIds(env.SESSIONS)).length;
    const jar = new CookieJar();
    const response = await loginWithFake(company, jar, { scenario: "good", sub: "someone-1", claims });
    expect(response.status).toBe(403);
    expect(sessionTokenFrom(response)).toBeNull();
    expect(jar.get(TRANSACTION_COOKIE)).toBeUndefined();
    const html = await response.text();
    expect(html).toMatch(claims.email_verified === true ? /ann@gmail\.com/ : /someone-1/);
    // Another sign-in, at the provider's account choice (not the same account straight back in).
    expect(html).toContain('href="/_gateway/login?prompt=select_account"');
    expect((await listDurableObjectIds(env.SESSIONS)).length).toBe(before);
  });

  it('admits every account with ALLOWED_USERS = "any"', async () => {
    const response = await loginWithFake(fakeSettings({ ALLOWED_USERS: "any" }), new CookieJar(), { scenario: "good", sub: "anyone" });
    expect(response.status).toBe(303);
  });
});

describe("auth_time and max_age with the fake provider", () => {
  const settings = fakeSettings();

  it("records the ID token's auth_time as the session's authenticatedAt", async () => {
    const authTime = nowSeconds() - 120;
    const jar = new CookieJar();
    await loginWithFake(settings, jar, { scenario: "good", sub: "u-auth-time", claims: { auth_time: authTime } });
    const session = await (await gatewayRequest(settings, jar, "/_gateway/session")).json<{ authenticatedAt: string; createdAt: string }>();
    expect(Date.parse(session.authenticatedAt)).toBe(authTime * 1000);
    expect(Date.parse(session.createdAt)).toBeGreaterThan(authTime * 1000);
  });

  it("records the authentication time as unknown without auth_time, never as the login time", async () => {
    const jar = new CookieJar();
    await loginWithFake(settings, jar, { scenario: "good", sub: "u-no-auth-time" });
    const session = await (await gatewayRequest(settings, jar, "/_gateway/session")).json<{ authenticatedAt: string | null; createdAt: string }>();
    expect(session.createdAt).toEqual(expect.any(String));
    expect(session.authenticatedAt).toBeNull();
  });

  it("asks for auth_time as an essential claim in every authorization request to a provider that supports the claims parameter", async () => {
    const { authorizationUrl } = await startLogin(settings, new CookieJar(), "/");
    expect(authorizationUrl.searchParams.get("max_age")).toBeNull();
    expect(JSON.parse(authorizationUrl.searchParams.get("claims")!)).toEqual({ id_token: { auth_time: { essential: true } } });
  });

  it("puts max_age in the authorization request", async () => {
    const login = await startLoginWithMaxAge(settings, new CookieJar(), 600);
    expect(login.authorizationUrl.searchParams.get("max_age")).toBe("600");
  });

  it.each<[string, number]>([
    ["just now", 0],
    ["at the limit", 600],
    ["within the 60 s of skew", 655],
  ])("accepts an auth_time from %s", async (_, ageSeconds) => {
    const jar = new CookieJar();
    const login = await startLoginWithMaxAge(settings, jar, 600);
    const response = await callback(settings, jar, login, { auth_time: nowSeconds() - ageSeconds });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/fresh");
  });

  it.each<[string, Record<string, unknown>]>([
    ["an auth_time older than max_age and the skew", { auth_time: nowSeconds() - 700 }],
    ["no auth_time", {}],
  ])("refuses %s with 403 and no session", async (_, claims) => {
    const jar = new CookieJar();
    const login = await startLoginWithMaxAge(settings, jar, 600);
    const response = await callback(settings, jar, login, claims);
    expect(response.status).toBe(403);
    expect(sessionTokenFrom(response)).toBeNull();
    expect(await response.text()).toContain("Sign in again");
  });
});

describe("max_age with a real provider (oidc-provider)", () => {
  const settings = providerSettings({ ALLOWED_USERS: JSON.stringify({ emailDomains: ["example.com"] }) });

  it("signs a user in again when the provider's login is older than max_age, and the session is fresh", async () => {
    const providerJar = new CookieJar();
    const first = await startLoginWithMaxAge(settings, new CookieJar(), 3600);
    const firstPrompts: string[] = [];
    await signInAtProvider(first.authorizationUrl, "max-age-user", providerJar, { prompts: firstPrompts });
    expect(firstPrompts).toContain("login");

    // Within max_age the provider's own session is enough: no login prompt.
    const within = await startLoginWithMaxAge(settings, new CookieJar(), 3600);
    const withinPrompts: string[] = [];
    await signInAtProvider(within.authorizationUrl, "max-age-user", providerJar, { prompts: withinPrompts });
    expect(withinPrompts).not.toContain("login");

    // Past max_age (1 s), the provider asks for the password again.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const jar = new CookieJar();
    const started = nowSeconds();
    const again = await startLoginWithMaxAge(settings, jar, 1);
    const againPrompts: string[] = [];
    const callbackUrl = await signInAtProvider(again.authorizationUrl, "max-age-user", providerJar, { prompts: againPrompts });
    expect(againPrompts).toContain("login");
    const response = await gatewayRequest(settings, jar, `${callbackUrl.pathname}${callbackUrl.search}`, { headers: { accept: "text/html" } });
    expect(response.status).toBe(303);
    const session = await (await gatewayRequest(settings, jar, "/_gateway/session")).json<{ authenticatedAt: string }>();
    expect(Date.parse(session.authenticatedAt)).toBeGreaterThanOrEqual(started * 1000);
  });
});

describe("R1: maxAuthAgeSeconds needs a login that proved its time", () => {
  const routes = JSON.stringify([{ path: "/admin{/*}?", access: { maxAuthAgeSeconds: 600 } }]);
  const settings = fakeSettings({ ROUTES: routes });
  const html = { headers: { accept: "text/html" } };

  it("sends a browser without a session to a login with the route's max_age", async () => {
    const response = await gatewayRequest(settings, new CookieJar(), "/admin", html);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`/_gateway/login?return_to=${encodeURIComponent("/admin")}&max_age=600`);
  });

  it("refuses a session whose ID token had no auth_time on a maxAuthAgeSeconds route, and asks for a login with max_age", async () => {
    const jar = new CookieJar();
    // A login started without max_age (as anyone can start one), answered without auth_time.
    expect((await loginWithFake(settings, jar, { scenario: "good", sub: `u-${crypto.randomUUID()}` }, "/admin")).status).toBe(303);
    expect((await gatewayRequest(settings, jar, "/elsewhere")).status).toBe(200);
    const response = await gatewayRequest(settings, jar, "/admin", html);
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`/_gateway/login?return_to=${encodeURIComponent("/admin")}&max_age=600`);
    expect((await gatewayRequest(settings, jar, "/admin")).status).toBe(401);
  });

  it("ends at a 403 page, not a redirect loop, when the provider never sends auth_time", async () => {
    const jar = new CookieJar();
    await loginWithFake(settings, jar, { scenario: "good", sub: `u-${crypto.randomUUID()}` }, "/admin");
    const again = await gatewayRequest(settings, jar, "/admin", html);
    const start = await gatewayRequest(settings, jar, again.headers.get("location")!, html);
    expect(start.status).toBe(302);
    const authorizationUrl = new URL(start.headers.get("location")!);
    expect(authorizationUrl.searchParams.get("max_age")).toBe("600");
    const login = { response: start, authorizationUrl, state: authorizationUrl.searchParams.get("state")!, nonce: authorizationUrl.searchParams.get("nonce")! };
    const response = await callback(settings, jar, login, {});
    expect(response.status).toBe(403);
    expect(response.headers.get("location")).toBeNull();
    expect(await response.text()).toContain("Sign in again");
  });

  it("admits the session of a login whose auth_time is recent", async () => {
    const jar = new CookieJar();
    await loginWithFake(settings, jar, { scenario: "good", sub: `u-${crypto.randomUUID()}`, claims: { auth_time: nowSeconds() - 5 } }, "/admin");
    expect((await gatewayRequest(settings, jar, "/admin")).status).toBe(200);
  });

  it("refuses the session of a login whose auth_time is older than the rule, though the login itself is new", async () => {
    const jar = new CookieJar();
    await loginWithFake(settings, jar, { scenario: "good", sub: `u-${crypto.randomUUID()}`, claims: { auth_time: nowSeconds() - 3600 } }, "/admin");
    expect((await gatewayRequest(settings, jar, "/admin")).status).toBe(401);
  });

  it("leaves auth_time out of the assertion when the authentication time is unknown", async () => {
    const jar = new CookieJar();
    const withAssertion = fakeSettings({ ROUTES: routes, ASSERTION_KEYS: JSON.stringify([await privateJwk("r1-key")]) });
    await loginWithFake(withAssertion, jar, { scenario: "good", sub: `u-${crypto.randomUUID()}` });
    const body = await (await gatewayRequest(withAssertion, jar, "/elsewhere")).json<EchoBody>();
    const claims = decodeJwt(echoHeader(body, "x-auth-assertion")!);
    expect(claims.sub).toEqual(expect.any(String));
    expect(claims).not.toHaveProperty("auth_time");
  });
});

describe("R1 with a real provider (oidc-provider): a silent sign-in is not a fresh one", () => {
  const settings = providerSettings({
    ALLOWED_USERS: JSON.stringify({ emailDomains: ["example.com"] }),
    ROUTES: JSON.stringify([{ path: "/admin{/*}?", access: { maxAuthAgeSeconds: 3600 } }]),
  });

  it("a login started without max_age on a live provider session does not satisfy maxAuthAgeSeconds", async () => {
    // The user signed in at the provider earlier (another application, another tab).
    const providerJar = new CookieJar();
    const earlier = await startLogin(settings, new CookieJar(), "/");
    const earlierPrompts: string[] = [];
    await signInAtProvider(earlier.authorizationUrl, "silent-user", providerJar, { prompts: earlierPrompts });
    expect(earlierPrompts).toContain("login");

    // Now a login is started by hand without max_age: the provider signs the browser in silently.
    const jar = new CookieJar();
    const silent = await startLogin(settings, jar, "/admin");
    expect(silent.authorizationUrl.searchParams.get("max_age")).toBeNull();
    const prompts: string[] = [];
    const callbackUrl = await signInAtProvider(silent.authorizationUrl, "silent-user", providerJar, { prompts });
    expect(prompts).not.toContain("login");
    const callbackResponse = await gatewayRequest(settings, jar, `${callbackUrl.pathname}${callbackUrl.search}`, html());
    expect(callbackResponse.status).toBe(303);

    // The session exists, but does not pass for a fresh login: the rule asks for one with max_age.
    expect((await gatewayRequest(settings, jar, "/elsewhere")).status).toBe(200);
    const admin = await gatewayRequest(settings, jar, "/admin", html());
    expect(admin.status).toBe(302);
    expect(admin.headers.get("location")).toBe(`/_gateway/login?return_to=${encodeURIComponent("/admin")}&max_age=3600`);

    // That login is answered with the provider's auth_time (max_age makes it required), and passes.
    const start = await gatewayRequest(settings, jar, admin.headers.get("location")!, html());
    const fresh = await signInAtProvider(new URL(start.headers.get("location")!), "silent-user", providerJar);
    expect((await gatewayRequest(settings, jar, `${fresh.pathname}${fresh.search}`, html())).status).toBe(303);
    const session = await (await gatewayRequest(settings, jar, "/_gateway/session")).json<{ authenticatedAt: string | null }>();
    expect(session.authenticatedAt).not.toBeNull();
    expect((await gatewayRequest(settings, jar, "/admin")).status).toBe(200);
  });
});

function html(): RequestInit {
  return { headers: { accept: "text/html" } };
}
