/**
 * the gateway never follows an origin redirect, WebSocket handshakes included, so the
 * policy decided for the requested URL is the policy of the only URL fetched. X-06: a 101
 * answer is filtered like any other. The echo origin answers `/public/redirect?to=` with a
 * 302 and `/public/as-root` with an X-Gateway-Login for an admin (test/fixtures/echo-origin.js).
 */
import { describe, expect, it } from "vitest";
import { adminFetch, COOKIE_NAME, fetchWithSession, gatewayFetch, gatewayFetchWith, login, sessionTokenFrom, uniqueUser } from "./helpers";

const HANDSHAKE = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" };

describe("origin redirects (X-01)", () => {
  it.each([
    ["a plain GET", {}],
    ["a WebSocket-flagged GET", HANDSHAKE],
  ])("hands the origin's 302 to the client on %s, never the protected body behind it", async (_, headers) => {
    const response = await gatewayFetch("/public/redirect?to=/admin/secrets", { headers });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/admin/secrets");
  });

  it("hands the origin's 302 to a WebSocket handshake that carries a session to the client (R12)", async () => {
    const { token } = await login(uniqueUser());
    const response = await fetchWithSession(token, "/public/redirect?to=/elsewhere", { headers: HANDSHAKE });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/elsewhere");
    expect(response.webSocket).toBeNull();
  });

  it("mints no session when a login route redirects to a server that answers X-Gateway-Login", async () => {
    const settings = { LOGIN_ROUTES: JSON.stringify(["/public/redirect"]) };
    for (const headers of [{}, HANDSHAKE]) {
      const response = await gatewayFetchWith(settings, "/public/redirect?to=https://gateway.test/public/as-root", { headers });
      expect(response.status).toBe(302);
      expect(sessionTokenFrom(response)).toBeNull();
    }
    expect(await (await adminFetch("/users/root/sessions")).json()).toEqual({ sessions: [] });
  });

  it.each(["POST", "PUT", "DELETE"])("treats Upgrade on a %s as a hop-by-hop header, not a handshake", async (method) => {
    const { token } = await login(uniqueUser());
    const response = await fetchWithSession(token, "/anything", { method, headers: { ...HANDSHAKE }, body: "payload" });
    expect(response.status).toBe(200);
    const echoed = await response.json<{ method: string; body: string; headers: [string, string][] }>();
    expect(echoed).toMatchObject({ method, body: "payload" });
    expect(echoed.headers.map(([name]) => name)).not.toContain("upgrade");
  });
});

describe("a 101 answer (X-06)", () => {
  const planted = {
    "Set-Cookie": [`${COOKIE_NAME}=planted; Path=/; Secure; HttpOnly`, "__Host-gateway-login=planted; Path=/; Secure", "theme=dark; Path=/"],
    "X-Gateway-Login": JSON.stringify({ sub: "root", roles: ["admin"] }),
    "X-Auth-User": "root",
    "X-Gateway-Anything": "x",
  };

  it("drops the origin's gateway cookies and control and identity headers, and keeps the rest", async () => {
    const { token } = await login(uniqueUser());
    const response = await fetchWithSession(token, "/ws", { headers: { ...HANDSHAKE, "x-echo-respond": JSON.stringify(planted) } });
    expect(response.status).toBe(101);
    response.webSocket!.accept();
    expect(response.headers.getSetCookie()).toEqual(["theme=dark; Path=/"]);
    for (const name of ["x-gateway-login", "x-auth-user", "x-gateway-anything"]) expect(response.headers.has(name), name).toBe(false);
    response.webSocket!.close();
  });

  it("honours X-Gateway-Logout: the session ends, the cookie is cleared, and the socket closes with it", async () => {
    const { token } = await login(uniqueUser());
    const response = await fetchWithSession(token, "/ws", { headers: { ...HANDSHAKE, "x-echo-respond": JSON.stringify({ "X-Gateway-Logout": "1" }) } });
    expect(response.status).toBe(101);
    const socket = response.webSocket!;
    const closed = new Promise<number>((resolve) => socket.addEventListener("close", (event) => resolve(event.code)));
    socket.accept();
    expect(response.headers.getSetCookie()).toContain(`${COOKIE_NAME}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax`);
    // A socket never outlives its session (live connections): this one ended as it opened.
    expect(await closed).toBe(1008);
    expect((await fetchWithSession(token, "/anything")).status).toBe(401);
  });
});
