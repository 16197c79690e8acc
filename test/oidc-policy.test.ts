/**
 * The access policy in OIDC mode: ALLOWED_USERS at the callback (an unverified email never
 * counts), `auth_time` as the session's authenticatedAt, and re-authentication — `max_age` in
 * the authorization request, honoured by a real provider (`oidc-provider`), and an ID token
 * whose `auth_time` is too old refused at the callback.
 */
import { env } from "cloudflare:workers";
import { listDurableObjectIds } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sessionTokenFrom } from "./helpers";
import {
  CookieJar,
  fakeCode,
  fakeSettings,
  gatewayRequest,
  loginWithFake,
  providerSettings,
  signInAtProvider,
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

  it("uses the login time without auth_time", async () => {
    const jar = new CookieJar();
    await loginWithFake(settings, jar, { scenario: "good", sub: "u-no-auth-time" });
    const session = await (await gatewayRequest(settings, jar, "/_gateway/session")).json<{ authenticatedAt: string; createdAt: string }>();
    expect(session.authenticatedAt).toBe(session.createdAt);
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
