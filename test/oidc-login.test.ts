/**
 * OIDC login against a real OpenID Provider (`oidc-provider` on 127.0.0.1): the authorization
 * redirect, the provider's login and consent, the callback, the session and the identity
 * headers at the origin; and every way a callback must be refused (SECURITY.md L-01..L-08,
 * F-01, F-02, C-04, D-02).
 */
import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BASE, COOKIE_NAME, type EchoBody, echoHeader, sessionTokenFrom } from "./helpers";
import {
  CALLBACK_URL,
  CookieJar,
  fakeSettings,
  gatewayRequest,
  loginWithProvider,
  PROVIDER_CLIENT_ID,
  PROVIDER_ISSUER,
  providerFetch,
  providerSettings,
  signInAtProvider,
  startLogin,
  TRANSACTION_COOKIE,
} from "./oidc/helpers";

const settings = providerSettings();

afterEach(() => {
  vi.useRealTimers();
});

describe("OIDC login with a real provider", () => {
  it("signs a user in: provider login and consent, callback, session, identity headers at the origin", async () => {
    const jar = new CookieJar();
    const { callback } = await loginWithProvider(settings, jar, "alice", "/reports/q3?year=2026");
    expect(callback.status).toBe(303);
    expect(callback.headers.get("location")).toBe("/reports/q3?year=2026");
    expect(callback.headers.get("referrer-policy")).toBe("no-referrer");
    expect(callback.headers.get("cache-control")).toBe("no-store");
    const token = sessionTokenFrom(callback)!;
    expect(token).toBeTruthy();
    expect(jar.get(TRANSACTION_COOKIE)).toBeUndefined();

    const echoed = await gatewayRequest(settings, jar, "/anything");
    expect(echoed.status).toBe(200);
    const body = await echoed.json<EchoBody>();
    expect(echoHeader(body, "x-auth-user")).toBe("alice");
    // email, name and groups come from userinfo: oidc-provider keeps its ID tokens minimal.
    expect(echoHeader(body, "x-auth-email")).toBe("alice@example.com");
    expect(echoHeader(body, "x-auth-name")).toBe("alice");
    expect(echoHeader(body, "x-auth-roles")).toBe("user");
    expect(echoHeader(body, "x-auth-session")).toBe(token.split(".")[0]);
    // No OAuth token and no session token reach the origin (I-05).
    expect(JSON.stringify(body.headers)).not.toMatch(/eyJ|access_token|id_token/);
    expect(echoHeader(body, "cookie")).toBeNull();
  });

  it("maps the roles claim: an admin of the provider gets the admin role", async () => {
    const jar = new CookieJar();
    await loginWithProvider(settings, jar, "admin-ann");
    const session = await (await gatewayRequest(settings, jar, "/_gateway/session")).json<{ user: { roles: string[] } }>();
    expect(session.user.roles).toEqual(["admin", "user"]);
    expect((await gatewayRequest(settings, jar, "/admin")).status).toBe(200);
  });

  it("redirects to the provider with the code flow, PKCE S256, state, nonce and the fixed redirect_uri", async () => {
    const jar = new CookieJar();
    const { response, authorizationUrl } = await startLogin(settings, jar, "/x");
    expect(authorizationUrl.origin).toBe(PROVIDER_ISSUER);
    const params = Object.fromEntries(authorizationUrl.searchParams);
    expect(params).toEqual({
      response_type: "code",
      client_id: PROVIDER_CLIENT_ID,
      redirect_uri: CALLBACK_URL,
      scope: "openid email profile",
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: "S256",
    });
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it.each([
    // The local provider lists no prompt_values_supported (and refuses select_account): login.
    ["select_account", "login"],
    ["login", "login"],
    ["none", null],
    ["consent", null],
    ["select_account login", null],
  ])("passes prompt=%s on to the provider as %s (account choice: 'sign in as someone else')", async (prompt, expected) => {
    const response = await gatewayRequest(settings, new CookieJar(), `/_gateway/login?prompt=${encodeURIComponent(prompt)}`, { headers: { accept: "text/html" } });
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get("location")!).searchParams.get("prompt")).toBe(expected);
  });

  it("passes prompt=select_account on to a provider that lists it in prompt_values_supported", async () => {
    const response = await gatewayRequest(fakeSettings(), new CookieJar(), "/_gateway/login?prompt=select_account", { headers: { accept: "text/html" } });
    expect(new URL(response.headers.get("location")!).searchParams.get("prompt")).toBe("select_account");
  });

  it("makes a real provider ask who signs in with prompt=login, though its own session is still there", async () => {
    const { providerJar } = await loginWithProvider(settings, new CookieJar(), "pat");
    /** What the provider does first: ask for a login, ask for consent, or send the browser straight back. */
    const firstStep = async (url: URL): Promise<string> => {
      for (let step = 0; step < 6; step++) {
        const response = await providerFetch(providerJar, url);
        if (response.status >= 300 && response.status < 400) {
          url = new URL(response.headers.get("location")!, url);
          if (url.href.startsWith(`${BASE}/`)) return "back";
          continue;
        }
        return (await response.text()).includes('name="login"') ? "login" : "consent";
      }
      throw new Error("the provider kept redirecting");
    };
    // Without a prompt the provider's own session signs the same person in without asking.
    expect(await firstStep((await startLogin(settings, new CookieJar())).authorizationUrl)).not.toBe("login");
    // With prompt=login it asks for the account again.
    const chooser = await gatewayRequest(settings, new CookieJar(), "/_gateway/login?prompt=login", { headers: { accept: "text/html" } });
    expect(await firstStep(new URL(chooser.headers.get("location")!))).toBe("login");
  });

  it("keeps the transaction in a sealed, short-lived __Host- cookie that is HttpOnly, Secure and SameSite=Lax", async () => {
    const jar = new CookieJar();
    const { response, state, nonce } = await startLogin(settings, jar);
    const line = response.headers.getSetCookie().find((value) => value.startsWith(`${TRANSACTION_COOKIE}=`))!;
    const attributes = line.split(";").slice(1).map((part) => part.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(["path=/", "secure", "httponly", "samesite=lax"]));
    expect(attributes.some((attribute) => attribute.startsWith("domain"))).toBe(false);
    const maxAge = Number(attributes.find((attribute) => attribute.startsWith("max-age="))!.split("=")[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(600);
    // Encrypted: neither the state, the nonce nor anything readable is in it.
    const value = jar.get(TRANSACTION_COOKIE)!;
    expect(value).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(value).not.toContain(state);
    expect(value).not.toContain(nonce);
  });

  it("draws a fresh state, nonce and PKCE verifier for every login", async () => {
    const starts = await Promise.all(Array.from({ length: 10 }, () => startLogin(settings, new CookieJar())));
    for (const name of ["state", "nonce", "code_challenge"]) {
      expect(new Set(starts.map((start) => start.authorizationUrl.searchParams.get(name))).size).toBe(10);
    }
  });

  it("never builds the redirect_uri from the Host header (L-06)", async () => {
    // A callback on another host than the request's URL (gateway.test), its Host header and its
    // X-Forwarded-Host: only the setting can be where redirect_uri comes from.
    const configured = "https://sso-callback.example.net/_gateway/callback";
    const response = await gatewayRequest(providerSettings({ OIDC_REDIRECT_URI: configured }), new CookieJar(), "/_gateway/login", {
      headers: { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "http" },
    });
    expect(response.status).toBe(302);
    const authorization = new URL(response.headers.get("location")!);
    expect(authorization.origin + authorization.pathname).toBe(`${PROVIDER_ISSUER}/auth`);
    expect(authorization.searchParams.getAll("redirect_uri")).toEqual([configured]);
  });

  it("creates no Durable Object for anonymous login starts (D-02)", async () => {
    const namespaces: DurableObjectNamespace[] = [env.SESSIONS, env.USER_SESSIONS, env.IDP_SESSIONS, env.LOGOUT_TOKENS];
    const before = await Promise.all(namespaces.map(async (namespace) => (await listDurableObjectIds(namespace)).length));
    await Promise.all(Array.from({ length: 25 }, () => startLogin(settings, new CookieJar())));
    const after = await Promise.all(namespaces.map(async (namespace) => (await listDurableObjectIds(namespace)).length));
    expect(after).toEqual(before);
  });

  it("revokes the session the browser presented and mints a new one (F-01)", async () => {
    const jar = new CookieJar();
    await loginWithProvider(settings, jar, "bob");
    const first = jar.get(COOKIE_NAME)!;
    const { callback } = await loginWithProvider(settings, jar, "bob");
    const second = sessionTokenFrom(callback)!;
    expect(second.split(".")[0]).not.toBe(first.split(".")[0]);
    expect((await gatewayRequest(settings, new CookieJar(), "/anything", { headers: { cookie: `${COOKIE_NAME}=${first}` } })).status).toBe(401);
    expect((await gatewayRequest(settings, new CookieJar(), "/anything", { headers: { cookie: `${COOKIE_NAME}=${second}` } })).status).toBe(200);
  });

  it("treats a half-finished login as no session (F-02)", async () => {
    const jar = new CookieJar();
    await startLogin(settings, jar);
    expect((await gatewayRequest(settings, jar, "/anything")).status).toBe(401);
    const page = await gatewayRequest(settings, jar, "/anything", { headers: { accept: "text/html" } });
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe("/_gateway/login?return_to=%2Fanything");
  });

  it("never forwards the transaction cookie to the origin (I-05)", async () => {
    const jar = new CookieJar();
    await startLogin(settings, jar);
    jar.set("theme", "dark");
    const body = await (await gatewayRequest(settings, jar, "/public/page")).json<EchoBody>();
    expect(echoHeader(body, "cookie")).toBe("theme=dark");
  });

  it("ignores X-Gateway-Login from the origin in OIDC mode: only the provider logs users in", async () => {
    const respond = { "X-Gateway-Login": JSON.stringify({ sub: "mallory", roles: ["admin"] }) };
    const response = await gatewayRequest(settings, new CookieJar(), "/login", { method: "POST", headers: { "x-echo-respond": JSON.stringify(respond) } });
    expect(response.status).toBe(200);
    expect(sessionTokenFrom(response)).toBeNull();
    expect(response.headers.get("x-gateway-login")).toBeNull();
  });
});

describe("OIDC callback refusals", () => {
  async function expectRefused(response: Response, status: number): Promise<void> {
    expect(response.status).toBe(status);
    expect(sessionTokenFrom(response)).toBeNull();
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.getSetCookie()).toContain(`${TRANSACTION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax`);
  }

  it("refuses a replayed callback: the state works once, and so does the code (L-01, L-08)", async () => {
    const jar = new CookieJar();
    const { callbackUrl, callback } = await loginWithProvider(settings, jar, "carol");
    const transaction = callbackUrl.searchParams.get("state");
    expect(callback.status).toBe(303);
    // The same browser again: its transaction cookie was cleared.
    const again = await gatewayRequest(settings, new CookieJar(), `${callbackUrl.pathname}${callbackUrl.search}`, { headers: { accept: "text/html" } });
    await expectRefused(again, 400);
    expect(await again.text()).toContain("Sign-in expired");
    expect(transaction).toBeTruthy();
  });

  it("refuses a replayed code even with a transaction cookie that still opens", async () => {
    const jar = new CookieJar();
    const { authorizationUrl } = await startLogin(settings, jar);
    const kept = jar.get(TRANSACTION_COOKIE)!;
    const callbackUrl = await signInAtProvider(authorizationUrl, "dave");
    const path = `${callbackUrl.pathname}${callbackUrl.search}`;
    expect((await gatewayRequest(settings, jar, path)).status).toBe(303);
    const replay = await gatewayRequest(settings, new CookieJar(), path, { headers: { cookie: `${TRANSACTION_COOKIE}=${kept}` } });
    await expectRefused(replay, 400);
    expect(await replay.json()).toEqual({ error: "bad_request" });
  });

  it.each([
    ["an altered state", (url: URL) => url.searchParams.set("state", `${url.searchParams.get("state")}x`)],
    ["no state", (url: URL) => url.searchParams.delete("state")],
    ["the iss of another issuer (mix-up, L-05)", (url: URL) => url.searchParams.set("iss", "https://evil.example")],
    ["no iss from a provider that announces it (RFC 9207)", (url: URL) => url.searchParams.delete("iss")],
  ])("refuses %s with 400 and no session", async (_, alter) => {
    const jar = new CookieJar();
    const { authorizationUrl } = await startLogin(settings, jar);
    const callbackUrl = await signInAtProvider(authorizationUrl, "erin");
    alter(callbackUrl);
    await expectRefused(await gatewayRequest(settings, jar, `${callbackUrl.pathname}${callbackUrl.search}`), 400);
  });

  it("refuses a callback in a browser that did not start the login (login CSRF, L-03)", async () => {
    const attacker = new CookieJar();
    const { authorizationUrl } = await startLogin(settings, attacker);
    const callbackUrl = await signInAtProvider(authorizationUrl, "mallory");
    // The victim has a login of their own in progress, or none at all.
    const victim = new CookieJar();
    await startLogin(settings, victim);
    await expectRefused(await gatewayRequest(settings, victim, `${callbackUrl.pathname}${callbackUrl.search}`), 400);
    await expectRefused(await gatewayRequest(settings, new CookieJar(), `${callbackUrl.pathname}${callbackUrl.search}`), 400);
  });

  it("refuses an attacker's transaction tossed inside another cookie's value (X-02 login CSRF)", async () => {
    const attacker = new CookieJar();
    const { authorizationUrl } = await startLogin(settings, attacker);
    const callbackUrl = await signInAtProvider(authorizationUrl, "mallory");
    // A sibling subdomain can set `x=a,__Host-gateway-login=<the attacker's>` for the parent domain.
    const victim = new CookieJar();
    victim.set("x", `a,${TRANSACTION_COOKIE}=${attacker.get(TRANSACTION_COOKIE)!}`);
    await expectRefused(await gatewayRequest(settings, victim, `${callbackUrl.pathname}${callbackUrl.search}`), 400);
  });

  it("refuses a tampered transaction cookie", async () => {
    const jar = new CookieJar();
    const { authorizationUrl } = await startLogin(settings, jar);
    const value = jar.get(TRANSACTION_COOKIE)!;
    jar.set(TRANSACTION_COOKIE, `${value.slice(0, -2)}${value.endsWith("AA") ? "BB" : "AA"}`);
    const callbackUrl = await signInAtProvider(authorizationUrl, "frank");
    await expectRefused(await gatewayRequest(settings, jar, `${callbackUrl.pathname}${callbackUrl.search}`), 400);
  });

  it("refuses a login that comes back after the transaction expired (10 minutes)", async () => {
    const jar = new CookieJar();
    const { authorizationUrl } = await startLogin(settings, jar);
    const callbackUrl = await signInAtProvider(authorizationUrl, "grace");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 601_000);
    await expectRefused(await gatewayRequest(settings, jar, `${callbackUrl.pathname}${callbackUrl.search}`), 400);
  });

  it("refuses a transaction sealed under another SESSION_SECRET", async () => {
    const jar = new CookieJar();
    const { authorizationUrl } = await startLogin(providerSettings({ SESSION_SECRET: "another-signing-key-0123456789abcdef0123456789" }), jar);
    const callbackUrl = await signInAtProvider(authorizationUrl, "heidi");
    await expectRefused(await gatewayRequest(settings, jar, `${callbackUrl.pathname}${callbackUrl.search}`), 400);
  });

  it("opens a transaction sealed under an older SESSION_SECRET key that is still listed (rotation)", async () => {
    const jar = new CookieJar();
    const [current, old] = String(env.SESSION_SECRET).split(",");
    const { authorizationUrl } = await startLogin(providerSettings({ SESSION_SECRET: old }), jar);
    const callbackUrl = await signInAtProvider(authorizationUrl, "ivan");
    expect((await gatewayRequest(providerSettings({ SESSION_SECRET: `${current},${old}` }), jar, `${callbackUrl.pathname}${callbackUrl.search}`)).status).toBe(303);
  });

  it("answers a provider error (the user cancels: access_denied) with a 403 page and no session (F-02)", async () => {
    const jar = new CookieJar();
    const { authorizationUrl } = await startLogin(settings, jar);
    const callbackUrl = await signInAtProvider(authorizationUrl, "judy", undefined, { abort: true });
    expect(callbackUrl.searchParams.get("error")).toBe("access_denied");
    const response = await gatewayRequest(settings, jar, `${callbackUrl.pathname}${callbackUrl.search}`, { headers: { accept: "text/html" } });
    await expectRefused(response, 403);
    expect(response.headers.get("content-type")).toContain("text/html");
    const page = await response.text();
    expect(page).toContain("did not sign you in");
    expect(page).not.toContain("access_denied");
  });

  it("answers 404 for the callback in delegated mode", async () => {
    expect((await gatewayRequest({}, new CookieJar(), "/_gateway/callback?code=x&state=y")).status).toBe(404);
  });
});

describe("RP-initiated logout", () => {
  it("revokes the session, then sends a form post to the provider's end_session_endpoint with id_token_hint", async () => {
    const jar = new CookieJar();
    const { providerJar } = await loginWithProvider(settings, jar, "kim");
    const token = jar.get(COOKIE_NAME)!;
    const response = await gatewayRequest(settings, jar, "/_gateway/logout", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" },
    });
    // A page of the gateway's that moves on to the provider by itself: a redirect from the
    // form's answer would be blocked by the origin page's `form-action 'self'`.
    expect(response.status).toBe(200);
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("location")).toBeNull();
    const location = new URL(await metaRefreshTarget(response));
    expect(`${location.origin}${location.pathname}`).toBe(`${PROVIDER_ISSUER}/session/end`);
    expect(location.searchParams.get("client_id")).toBe(PROVIDER_CLIENT_ID);
    expect(location.searchParams.get("post_logout_redirect_uri")).toBe(`${BASE}/`);
    expect(location.searchParams.get("id_token_hint")).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(response.headers.getSetCookie()).toContain(`${COOKIE_NAME}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax`);
    expect((await gatewayRequest(settings, new CookieJar(), "/anything", { headers: { cookie: `${COOKIE_NAME}=${token}` } })).status).toBe(401);

    // The provider accepts it: it asks to confirm, then sends the browser back to the site.
    const confirm = await (await fetch(location, { headers: { cookie: providerJar.header() } })).text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm)?.[1];
    expect(xsrf).toBeTruthy();
    const action = /action="([^"]+)"/.exec(confirm)![1]!;
    const done = await fetch(new URL(action, PROVIDER_ISSUER), {
      method: "POST",
      redirect: "manual",
      headers: { cookie: providerJar.header(), "content-type": "application/x-www-form-urlencoded" },
      body: `xsrf=${encodeURIComponent(xsrf!)}&logout=yes`,
    });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe(`${BASE}/`);
  });

  it("answers fetch() with 204 and the provider's logout URL, without the ID token, in X-Idp-Logout-Url", async () => {
    const jar = new CookieJar();
    await loginWithProvider(settings, jar, "liam");
    const response = await gatewayRequest(settings, jar, "/_gateway/logout", { method: "POST" });
    expect(response.status).toBe(204);
    const hint = new URL(response.headers.get("x-idp-logout-url")!);
    expect(hint.searchParams.get("id_token_hint")).toBeNull();
    expect(hint.searchParams.get("client_id")).toBe(PROVIDER_CLIENT_ID);
    expect(hint.searchParams.get("post_logout_redirect_uri")).toBe(`${BASE}/`);
  });

  it("sends the browser to the configured OIDC_POST_LOGOUT_REDIRECT_URI", async () => {
    const custom = providerSettings({ OIDC_POST_LOGOUT_REDIRECT_URI: `${BASE}/signed-out` });
    const jar = new CookieJar();
    await loginWithProvider(custom, jar, "mia");
    const response = await gatewayRequest(custom, jar, "/_gateway/logout", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(new URL(await metaRefreshTarget(response)).searchParams.get("post_logout_redirect_uri")).toBe(`${BASE}/signed-out`);
  });

  it("still refuses a cross-site logout (T-03)", async () => {
    const jar = new CookieJar();
    await loginWithProvider(settings, jar, "noah");
    const response = await gatewayRequest(settings, jar, "/_gateway/logout", { method: "POST", headers: { "sec-fetch-site": "cross-site" } });
    expect(response.status).toBe(403);
    expect((await gatewayRequest(settings, jar, "/anything")).status).toBe(200);
  });
});

/** Where a page's `<meta http-equiv="refresh">` sends the browser (attribute entities decoded). */
async function metaRefreshTarget(response: Response): Promise<string> {
  const page = await response.text();
  const content = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(page)?.[1];
  if (!content) throw new Error("no meta refresh on the page");
  return content.replaceAll("&amp;", "&").replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&lt;", "<").replaceAll("&gt;", ">");
}
