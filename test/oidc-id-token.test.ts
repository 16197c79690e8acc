/**
 * ID token validation and the provider's failures, against the fake provider (which can
 * answer what a real one never would): another issuer or audience, an unknown key, no
 * signature, expired, another login's nonce; token and userinfo endpoints that fail; a
 * provider that is down. None of them may create a session, and none is a 500
 * (SECURITY.md L-04, R-08; OIDC Core §3.1.3.7). Also the claim mapping.
 */
import { describe, expect, it } from "vitest";
import { createGateway } from "../src/app";
import { type EchoBody, echoHeader, refusingFetch, sessionTokenFrom } from "./helpers";
import { CALLBACK_URL, CookieJar, FAKE_ISSUER, fakeCode, fakeSettings, gatewayRequest, loginWithFake, startLogin, TRANSACTION_COOKIE } from "./oidc/helpers";

const settings = fakeSettings();

async function identityAtOrigin(jar: CookieJar, overrides = {}): Promise<EchoBody> {
  const response = await gatewayRequest(fakeSettings(overrides), jar, "/anything");
  expect(response.status).toBe(200);
  return response.json<EchoBody>();
}

describe("ID token validation", () => {
  it("accepts a valid ID token: the token request carried the PKCE verifier, the fixed redirect_uri and the client's credentials", async () => {
    const jar = new CookieJar();
    const login = await startLogin(settings, jar, "/home");
    const code = fakeCode(login, { scenario: "good", sub: "u-1", claims: { email: "u1@example.com", email_verified: true, name: "U One", groups: ["staff"] } });
    const callback = await gatewayRequest(settings, jar, `/_gateway/callback?code=${code}&state=${login.state}`);
    expect(callback.status).toBe(303);
    expect(callback.headers.get("location")).toBe("/home");
    expect(sessionTokenFrom(callback)).toBeTruthy();

    const request = await (await fetch(`${FAKE_ISSUER}/_token-request?code=${code}`)).json<Record<string, string>>();
    expect(request.grant_type).toBe("authorization_code");
    expect(request.redirect_uri).toBe(CALLBACK_URL);
    expect(request.authorization).toMatch(/^Basic /);
    const challenge = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(request.code_verifier)));
    const encoded = btoa(String.fromCharCode(...challenge)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    expect(encoded).toBe(login.authorizationUrl.searchParams.get("code_challenge"));

    const body = await identityAtOrigin(jar);
    expect(echoHeader(body, "x-auth-user")).toBe("u-1");
    expect(echoHeader(body, "x-auth-email")).toBe("u1@example.com");
    expect(echoHeader(body, "x-auth-name")).toBe("U One");
    expect(echoHeader(body, "x-auth-roles")).toBe("staff");
  });

  it.each([
    ["from another issuer", "wrong-iss", 502],
    ["for another audience", "wrong-aud", 502],
    ["for several audiences without azp", "extra-aud-no-azp", 502],
    ["that has expired", "expired", 502],
    ["signed by a key the provider does not publish", "unknown-key", 502],
    ["with a forged signature under the provider's key id", "forged-signature", 502],
    ["with alg none", "alg-none", 502],
    ["with the nonce of another login", "nonce-mismatch", 400],
    ["without a nonce (the provider ignored it)", "no-nonce", 502],
  ])("refuses an ID token %s, and creates no session", async (_, scenario, status) => {
    const jar = new CookieJar();
    const response = await loginWithFake(settings, jar, { scenario });
    expect(response.status).toBe(status);
    expect(sessionTokenFrom(response)).toBeNull();
    expect(response.headers.getSetCookie()).toContain(`${TRANSACTION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax`);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect((await gatewayRequest(settings, jar, "/anything")).status).toBe(401);
  });

  it.each([
    ["answers without an ID token", "no-id-token", 502],
    ["refuses the code (invalid_grant)", "invalid-grant", 400],
    ["fails (500)", "server-error", 502],
    ["answers something that is not JSON", "not-json", 502],
  ])("answers a clear error when the token endpoint %s", async (_, scenario, status) => {
    const response = await loginWithFake(settings, new CookieJar(), { scenario });
    expect(response.status).toBe(status);
    expect(sessionTokenFrom(response)).toBeNull();
  });

  it("answers 502 when the token endpoint hangs up, for a code that would otherwise log in", async () => {
    const hangsUp = createGateway({ providerFetch: refusingFetch((request) => new URL(request.url).pathname === "/token") });
    const jar = new CookieJar();
    const login = await startLogin(settings, jar);
    const callback = `/_gateway/callback?code=${fakeCode(login, { scenario: "good" })}&state=${login.state}`;
    const response = await gatewayRequest(settings, jar, callback, { headers: { accept: "text/html" } }, hangsUp);
    expect(response.status).toBe(502);
    expect(sessionTokenFrom(response)).toBeNull();
  });

  it("answers JSON to a callback that is not a browser navigation", async () => {
    const jar = new CookieJar();
    const login = await startLogin(settings, jar);
    const response = await gatewayRequest(settings, jar, `/_gateway/callback?code=${fakeCode(login, { scenario: "wrong-iss" })}&state=${login.state}`);
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ error: "bad_gateway" });
  });
});

describe("userinfo", () => {
  it("fills the claims the ID token lacks from userinfo", async () => {
    const jar = new CookieJar();
    const response = await loginWithFake(settings, jar, {
      scenario: "userinfo",
      sub: "u-2",
      userinfo: { sub: "u-2", email: "u2@example.com", email_verified: true, name: "U Two", groups: ["a", "b"] },
    });
    expect(response.status).toBe(303);
    const body = await identityAtOrigin(jar);
    expect(echoHeader(body, "x-auth-email")).toBe("u2@example.com");
    expect(echoHeader(body, "x-auth-roles")).toBe("a,b");
  });

  it("keeps the ID token's value where both have a claim", async () => {
    const jar = new CookieJar();
    await loginWithFake(settings, jar, { scenario: "userinfo", sub: "u-3", claims: { name: "From ID token" }, userinfo: { sub: "u-3", name: "From userinfo" } });
    expect(echoHeader(await identityAtOrigin(jar), "x-auth-name")).toBe("From ID token");
  });

  it("refuses userinfo about another subject (OIDC Core §5.3.4)", async () => {
    const response = await loginWithFake(settings, new CookieJar(), { scenario: "userinfo", sub: "u-4", userinfo: { sub: "someone-else", email: "x@example.com" } });
    expect(response.status).toBe(502);
    expect(sessionTokenFrom(response)).toBeNull();
  });

  it("answers 502 when userinfo fails", async () => {
    const response = await loginWithFake(settings, new CookieJar(), { scenario: "userinfo", userinfo: "fail" });
    expect(response.status).toBe(502);
  });
});

describe("claim mapping", () => {
  it("reads roles from a dotted path (Keycloak's realm_access.roles) and the subject from another claim", async () => {
    const overrides = { OIDC_ROLES_CLAIM: "realm_access.roles", OIDC_SUB_CLAIM: "preferred_username" };
    const jar = new CookieJar();
    const response = await loginWithFake(fakeSettings(overrides), jar, {
      scenario: "good",
      sub: "f81d4fae",
      claims: { preferred_username: "jdoe", realm_access: { roles: ["admin", "offline_access"] }, email: "j@example.com" },
    });
    expect(response.status).toBe(303);
    const body = await identityAtOrigin(jar, overrides);
    expect(echoHeader(body, "x-auth-user")).toBe("jdoe");
    expect(echoHeader(body, "x-auth-roles")).toBe("admin,offline_access");
  });

  it("uses a claim whose name has dots as it is (https://example.com/roles)", async () => {
    const overrides = { OIDC_ROLES_CLAIM: "https://example.com/roles" };
    const jar = new CookieJar();
    await loginWithFake(fakeSettings(overrides), jar, { scenario: "good", claims: { "https://example.com/roles": ["editor"] } });
    expect(echoHeader(await identityAtOrigin(jar, overrides), "x-auth-roles")).toBe("editor");
  });

  it("keeps at most 64 usable roles and one header under 8 KB, however many groups the provider sends (I-06)", async () => {
    const groups = [...Array.from({ length: 2000 }, (_, index) => `group-${index}`), "CN=Admins,OU=Groups", "bad\nrole", 42];
    const jar = new CookieJar();
    await loginWithFake(settings, jar, { scenario: "good", claims: { groups } });
    const roles = echoHeader(await identityAtOrigin(jar), "x-auth-roles")!;
    expect(roles.split(",")).toHaveLength(64);
    expect(roles.length).toBeLessThan(8192);
  });

  // only `true` (or the string "true") counts as verified.
  it.each<[string, Record<string, unknown>]>([
    ["false", { email_verified: false }],
    ["the string \"false\"", { email_verified: "false" }],
    ["absent", {}],
    ["1", { email_verified: 1 }],
    ["null", { email_verified: null }],
  ])("leaves out an email whose email_verified is %s", async (_, verified) => {
    const jar = new CookieJar();
    await loginWithFake(settings, jar, { scenario: "good", claims: { email: "claimed@example.com", ...verified, name: "N" } });
    const body = await identityAtOrigin(jar);
    expect(echoHeader(body, "x-auth-email")).toBeNull();
    expect(echoHeader(body, "x-auth-name")).toBe("N");
  });

  it.each([true, "true"])("passes on an email whose email_verified is %j", async (verified) => {
    const jar = new CookieJar();
    await loginWithFake(settings, jar, { scenario: "good", claims: { email: "checked@example.com", email_verified: verified } });
    expect(echoHeader(await identityAtOrigin(jar), "x-auth-email")).toBe("checked@example.com");
  });

  // values the origin would receive changed are refused, never merged.
  it.each(["alice ", " alice", "   ", "jos\uFFFD"])("refuses a login whose subject is %j (502, no session)", async (sub) => {
    const response = await loginWithFake(settings, new CookieJar(), { scenario: "good", sub });
    expect(response.status).toBe(502);
    expect(sessionTokenFrom(response)).toBeNull();
  });

  it("leaves out a role with whitespace at an end rather than granting it trimmed", async () => {
    const jar = new CookieJar();
    await loginWithFake(settings, jar, { scenario: "good", claims: { groups: ["admin ", "staff"] } });
    expect(echoHeader(await identityAtOrigin(jar), "x-auth-roles")).toBe("staff");
  });

  it("refuses a login whose subject claim is missing (502, no session)", async () => {
    const response = await loginWithFake(fakeSettings({ OIDC_SUB_CLAIM: "employee_id" }), new CookieJar(), { scenario: "good" });
    expect(response.status).toBe(502);
    expect(sessionTokenFrom(response)).toBeNull();
  });
});

describe("provider unreachable", () => {
  // An issuer no other test discovers (discovery is cached per isolate), every call to which
  // fails as a refused connection does.
  const down = fakeSettings({ OIDC_ISSUER: "http://127.0.0.1:9" });
  const refusing = createGateway({ providerFetch: refusingFetch() });

  it("answers 502 with a page to a browser's login, and sets no transaction cookie", async () => {
    const response = await gatewayRequest(down, new CookieJar(), "/_gateway/login", { headers: { accept: "text/html" } }, refusing);
    expect(response.status).toBe(502);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(await response.text()).toContain("could not be reached");
    expect(response.headers.getSetCookie().some((line) => !line.includes("Max-Age=0"))).toBe(false);
  });

  it("answers 502 JSON to a login that is not a navigation", async () => {
    const response = await gatewayRequest(down, new CookieJar(), "/_gateway/login", {}, refusing);
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ error: "bad_gateway" });
  });

  it("still logs out locally when the provider cannot be reached", async () => {
    const response = await gatewayRequest(down, new CookieJar(), "/_gateway/logout", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" } }, refusing);
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/_gateway/signed-out");
  });
});
