import { describe, expect, it } from "vitest";
import { COOKIE_NAME, type EchoBody, echoHeader, fetchWithSession, gatewayFetch, gatewayFetchWith, login, UNREACHABLE_ORIGIN, uniqueUser } from "./helpers";

describe("forwarding", () => {
  it("forwards method, path, query and body", async () => {
    const { token } = await login(uniqueUser());
    const response = await fetchWithSession(token, "/api/items/7?sort=desc&x=%20y", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "seven" }),
    });
    const body = await response.json<EchoBody>();
    expect(body).toMatchObject({ method: "PUT", path: "/api/items/7", search: "?sort=desc&x=%20y", body: '{"name":"seven"}' });
    expect(echoHeader(body, "content-type")).toBe("application/json");
  });

  it("streams a large request body through", async () => {
    const { token } = await login(uniqueUser());
    const big = "x".repeat(2 * 1024 * 1024);
    const body = await (await fetchWithSession(token, "/upload", { method: "POST", body: big })).json<EchoBody>();
    expect(body.body.length).toBe(big.length);
  });

  it.each([
    ["X-Auth-User", "mallory"],
    ["x-auth-user", "mallory"],
    ["X_Auth_User", "mallory"],
    ["x-auth-roles", "admin"],
    ["X-Auth-Session", "forged"],
    ["X-Gateway-Login", '{"sub":"mallory"}'],
    ["x_gateway_logout", "1"],
  ])("strips a client-sent %s, anonymous and logged in", async (name, value) => {
    const anonymous = await (await gatewayFetch("/public/x", { headers: { [name]: value } })).json<EchoBody>();
    expect(anonymous.headers.filter(([key]) => /^x[-_](auth|gateway)[-_]/i.test(key))).toEqual([]);

    const user = uniqueUser();
    const { token } = await login(user);
    const loggedIn = await (await fetchWithSession(token, "/anything", { headers: { [name]: value } })).json<EchoBody>();
    const identity = loggedIn.headers.filter(([key]) => /^x[-_](auth|gateway)[-_]/i.test(key));
    expect(identity.map(([key]) => key).sort()).toEqual(["x-auth-email", "x-auth-name", "x-auth-principal", "x-auth-roles", "x-auth-session", "x-auth-user"]);
    expect(echoHeader(loggedIn, "x-auth-user")).toBe(user.sub);
    expect(echoHeader(loggedIn, "x-auth-roles")).toBe("user");
  });

  it("removes the session cookie from Cookie and passes the others", async () => {
    const { token } = await login(uniqueUser());
    const body = await (await fetchWithSession(token, "/anything", { headers: { cookie: "theme=dark; lang=en" } })).json<EchoBody>();
    expect(echoHeader(body, "cookie")).toBe("theme=dark; lang=en");
    expect(JSON.stringify(body)).not.toContain(token);
    const only = await (await fetchWithSession(token, "/anything")).json<EchoBody>();
    expect(echoHeader(only, "cookie")).toBeNull();
  });

  it("sets X-Forwarded-* itself and drops the client's copies and Forwarded", async () => {
    const body = await (
      await gatewayFetch("/public/x", {
        headers: {
          "x-forwarded-for": "6.6.6.6",
          "x-forwarded-host": "evil.example",
          "x-forwarded-proto": "gopher",
          forwarded: "for=6.6.6.6;host=evil.example",
          "cf-connecting-ip": "203.0.113.9",
        },
      })
    ).json<EchoBody>();
    expect(echoHeader(body, "x-forwarded-for")).toBe("203.0.113.9");
    expect(echoHeader(body, "x-forwarded-host")).toBe("gateway.test");
    expect(echoHeader(body, "x-forwarded-proto")).toBe("https");
    expect(echoHeader(body, "forwarded")).toBeNull();
  });

  it("does not follow the origin's redirects", async () => {
    const respond = JSON.stringify({ Location: "https://elsewhere.example/" });
    const response = await gatewayFetch("/public/x", { headers: { "x-echo-status": "302", "x-echo-respond": respond } });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("https://elsewhere.example/");
  });

  it("passes the origin's status and headers through", async () => {
    const respond = JSON.stringify({ "X-Custom": "yes", "Cache-Control": "max-age=60" });
    const response = await gatewayFetch("/public/x", { headers: { "x-echo-status": "418", "x-echo-respond": respond } });
    expect(response.status).toBe(418);
    expect(response.headers.get("x-custom")).toBe("yes");
  });
});

describe("WebSocket upgrades", () => {
  it("passes an upgrade with a session through and the origin sees the identity", async () => {
    const user = uniqueUser();
    const { token } = await login(user);
    const response = await gatewayFetch("/ws", { headers: { upgrade: "websocket", cookie: `${COOKIE_NAME}=${token}` } });
    expect(response.status).toBe(101);
    const socket = response.webSocket!;
    socket.accept();
    const reply = new Promise<string>((resolve) => socket.addEventListener("message", (event) => resolve(String(event.data))));
    socket.send("hi");
    expect(await reply).toBe(`echo:hi:${user.sub}`);
    socket.close();
  });

  it("refuses an upgrade without a session at the handshake", async () => {
    const response = await gatewayFetch("/ws", { headers: { upgrade: "websocket" } });
    expect(response.status).toBe(401);
    expect(response.webSocket).toBeNull();
  });
});

describe("an unreachable origin", () => {
  it("answers 502 with a generic body", async () => {
    const response = await gatewayFetchWith({ ORIGIN: UNREACHABLE_ORIGIN }, "/public/x");
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ error: "bad_gateway" });
  });
});

describe("edge caching", () => {
  it("fetches a request that carries a session with cache: no-store, and an anonymous one without", async () => {
    const seen: (string | undefined)[] = [];
    const origin = {
      fetch: async (request: Request) => {
        seen.push((request as Request & { cache?: string }).cache);
        return new Response("private for whoever asked");
      },
    } as unknown as Fetcher;
    const { token } = await login(uniqueUser());
    await gatewayFetchWith({ ORIGIN: origin }, "/public/page", { headers: { cookie: `${COOKIE_NAME}=${token}` } });
    await gatewayFetchWith({ ORIGIN: origin }, "/public/page");
    expect(seen).toEqual(["no-store", undefined]);
  });
});
