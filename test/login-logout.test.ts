import { describe, expect, it } from "vitest";
import {
  COOKIE_NAME,
  type EchoBody,
  echoHeader,
  fetchWithSession,
  gatewayFetch,
  login,
  sessionTokenFrom,
  uniqueUser,
} from "./helpers";

describe("delegated login", () => {
  it("sets a __Host- session cookie with Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain", async () => {
    const { response } = await login(uniqueUser());
    const line = response.headers.getSetCookie().find((value) => value.startsWith(`${COOKIE_NAME}=`))!;
    const attributes = line.split(";").slice(1).map((part) => part.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(["path=/", "secure", "httponly", "samesite=lax"]));
    expect(attributes.some((attribute) => attribute.startsWith("domain"))).toBe(false);
    const maxAge = Number(attributes.find((attribute) => attribute.startsWith("max-age="))!.split("=")[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(3600); // ABSOLUTE_TIMEOUT_SECONDS in the test bindings
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("mints tokens with 256 random bits that never repeat", async () => {
    // Five at a time: what is tested is that no two tokens meet, not a burst of 40 object
    // creations, which on a loaded 2-core machine ran past the 5 s store deadline (503) in CI.
    const tokens: string[] = [];
    for (let batch = 0; batch < 8; batch++) tokens.push(...(await Promise.all(Array.from({ length: 5 }, async () => (await login(uniqueUser())).token))));
    expect(new Set(tokens).size).toBe(tokens.length);
    for (const token of tokens) {
      const [publicId, secret, mac] = token.split(".");
      expect(atob(publicId!.replaceAll("-", "+").replaceAll("_", "/")).length).toBe(16);
      expect(atob(secret!.replaceAll("-", "+").replaceAll("_", "/")).length).toBe(16);
      expect(mac).toHaveLength(43);
    }
    expect(new Set(tokens.map((token) => token.split(".")[0])).size).toBe(tokens.length);
  });

  it("sends the identity to the origin in X-Auth-* headers", async () => {
    const user = uniqueUser({ name: "Zoë O'Brien", roles: ["user", "editor"] });
    const { token } = await login(user);
    const body = await (await fetchWithSession(token, "/anything")).json<EchoBody>();
    expect(echoHeader(body, "x-auth-user")).toBe(user.sub);
    expect(echoHeader(body, "x-auth-email")).toBe(user.email);
    expect(decodeURIComponent(echoHeader(body, "x-auth-name")!)).toBe("Zoë O'Brien");
    expect(echoHeader(body, "x-auth-roles")).toBe("user,editor");
    expect(echoHeader(body, "x-auth-session")).toBe(token.split(".")[0]);
  });

  it("never lets X-Gateway-Login reach the client", async () => {
    const { response } = await login(uniqueUser());
    expect([...response.headers.keys()].filter((name) => name.startsWith("x-gateway"))).toEqual([]);
  });

  it("ignores X-Gateway-Login from a route that is not a login route, and strips it", async () => {
    const headers = { "x-echo-respond": JSON.stringify({ "X-Gateway-Login": JSON.stringify(uniqueUser()) }) };
    const response = await gatewayFetch("/not-login", { method: "POST", headers });
    expect(response.status).toBe(200);
    expect(sessionTokenFrom(response)).toBeNull();
    expect(response.headers.get("x-gateway-login")).toBeNull();
  });

  it("answers 502 and sets no cookie when the origin's X-Gateway-Login is invalid", async () => {
    for (const value of ["not json", JSON.stringify({ email: "no-sub@example.com" }), JSON.stringify({ sub: "a", roles: ["x,y"] })]) {
      const response = await gatewayFetch("/login", { method: "POST", headers: { "x-echo-respond": JSON.stringify({ "X-Gateway-Login": value }) } });
      expect(response.status).toBe(502);
      expect(sessionTokenFrom(response)).toBeNull();
      expect(await response.json()).toEqual({ error: "bad_gateway" });
    }
  });

  it("mints a new session at login and revokes the one presented (no fixation)", async () => {
    const user = uniqueUser();
    const first = await login(user);
    const second = await login(user, { cookie: `${COOKIE_NAME}=${first.token}` });
    expect(second.token).not.toBe(first.token);
    expect(second.token.split(".")[0]).not.toBe(first.token.split(".")[0]);
    expect((await fetchWithSession(first.token, "/anything")).status).toBe(401);
    expect((await fetchWithSession(second.token, "/anything")).status).toBe(200);
  });

  it("drops an origin Set-Cookie for the session cookie's name and keeps the others", async () => {
    const { token } = await login(uniqueUser());
    const respond = { "Set-Cookie": [`${COOKIE_NAME}=attacker; Path=/; Secure`, "theme=dark; Path=/"] };
    const response = await fetchWithSession(token, "/anything", { headers: { "x-echo-respond": JSON.stringify(respond) } });
    expect(response.headers.getSetCookie()).toEqual(["theme=dark; Path=/"]);
  });
});

describe("logout", () => {
  it("revokes the session on POST /_gateway/logout, effective on the very next request", async () => {
    const { token } = await login(uniqueUser());
    const response = await fetchWithSession(token, "/_gateway/logout", { method: "POST" });
    expect(response.status).toBe(204);
    expect(response.headers.getSetCookie()).toEqual([`${COOKIE_NAME}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax`]);
    expect(response.headers.get("clear-site-data")).toBe('"cache", "storage"');
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect((await fetchWithSession(token, "/anything")).status).toBe(401);
  });

  it("answers a form post with 303 to the signed-out page", async () => {
    const { token } = await login(uniqueUser());
    const response = await fetchWithSession(token, "/_gateway/logout", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" },
    });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/_gateway/signed-out");
  });

  it.each([
    ["Sec-Fetch-Site cross-site", { "sec-fetch-site": "cross-site" }],
    ["Sec-Fetch-Site same-site", { "sec-fetch-site": "same-site" }],
    ["a foreign Origin", { origin: "https://evil.example" }],
  ])("refuses a cross-site logout (%s) and keeps the session", async (_, headers) => {
    const { token } = await login(uniqueUser());
    const response = await fetchWithSession(token, "/_gateway/logout", { method: "POST", headers });
    expect(response.status).toBe(403);
    expect((await fetchWithSession(token, "/anything")).status).toBe(200);
  });

  it("refuses GET on the logout endpoint", async () => {
    const { token } = await login(uniqueUser());
    const response = await fetchWithSession(token, "/_gateway/logout");
    expect(response.status).toBe(405);
    expect((await fetchWithSession(token, "/anything")).status).toBe(200);
  });

  it("revokes the session when the origin answers X-Gateway-Logout", async () => {
    const { token } = await login(uniqueUser());
    const response = await fetchWithSession(token, "/anything", { headers: { "x-echo-respond": JSON.stringify({ "X-Gateway-Logout": "1" }) } });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-gateway-logout")).toBeNull();
    expect(response.headers.getSetCookie()[0]).toMatch(new RegExp(`^${COOKIE_NAME}=; Max-Age=0`));
    expect((await fetchWithSession(token, "/anything")).status).toBe(401);
  });
});

describe("GET /_gateway/session", () => {
  it("answers the caller's session as JSON", async () => {
    const user = uniqueUser({ roles: ["admin"] });
    const { token } = await login(user);
    const response = await fetchWithSession(token, "/_gateway/session");
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const session = await response.json<Record<string, unknown>>();
    expect(session).toEqual({
      id: token.split(".")[0],
      realm: "gateway.test",
      user,
      createdAt: expect.any(String),
      authenticatedAt: expect.any(String),
      lastSeenAt: expect.any(String),
      idleExpiresAt: expect.any(String),
      absoluteExpiresAt: expect.any(String),
    });
    // A delegated login is authenticated when it happens.
    expect(session.authenticatedAt).toBe(session.createdAt);
    expect(JSON.stringify(session)).not.toContain(token.split(".")[1]);
  });

  it("answers 401 without a session", async () => {
    const response = await gatewayFetch("/_gateway/session");
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: "unauthenticated" });
  });
});
