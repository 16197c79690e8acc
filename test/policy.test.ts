/**
 * Access requirements through the Worker (delegated login): each key on a route, refusals
 * that are generic for the client and name the requirement and the session in the log,
 * re-authentication with fake time, and ALLOWED_USERS at login and on every request.
 */
import { env } from "cloudflare:workers";
import { listDurableObjectIds } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import type { Env } from "../src/env";
import { asciiJson, cookie, type EchoBody, echoHeader, gatewayFetchIn, login, sessionTokenFrom, uniqueUser } from "./helpers";
import type { SessionUser } from "../src/session/types";

const bindings = (overrides: Record<string, unknown>): Env => ({ ...(env as unknown as Env), ...overrides }) as Env;

const ROUTES = [
  { path: "/public/*", access: "public" },
  { path: "/login", access: "public" },
  { path: "/corp/*", access: { emailDomains: ["example.com", "*.corp.example.com"] } },
  { path: "/office/*", access: { ips: ["192.0.2.0/24", "2001:db8::/32"] } },
  { path: "/eu/*", access: { countries: ["DE", "AT"] } },
  { path: "/fresh", access: { maxAuthAgeSeconds: 600 } },
  { path: "/admin{/*}?", access: { roles: ["admin"], ips: ["192.0.2.0/24"], maxAuthAgeSeconds: 600 } },
];
const policy = bindings({ ROUTES: JSON.stringify(ROUTES) });

let logs: MockInstance[] = [];
beforeEach(() => {
  logs = [vi.spyOn(console, "log"), vi.spyOn(console, "warn")];
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

function events(name: string): Record<string, unknown>[] {
  return logs
    .flatMap((spy) => spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>))
    .filter((line) => line.event === name);
}

function get(env: Env, token: string | null, path: string, init: RequestInit & { cf?: Record<string, unknown> } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (token) headers.set("cookie", cookie(token));
  return gatewayFetchIn(env, path, { ...init, headers });
}

const publicId = (token: string) => token.split(".")[0]!;

describe("emailDomains on a route", () => {
  it.each<[string, string | undefined, number]>([
    ["the company domain", "ann@example.com", 200],
    ["a subdomain under the wildcard", "ann@eu.corp.example.com", 200],
    ["a subdomain not under any entry", "ann@a.example.com", 403],
    ["a look-alike domain", "ann@example.com.evil.test", 403],
    ["another domain ending the same", "ann@notexample.com", 403],
    ["a session without email", undefined, 403],
  ])("%s (%s) ⇒ %i", async (_, email, status) => {
    const { token } = await login(uniqueUser({ email }));
    const response = await get(policy, token, "/corp/page");
    expect(response.status).toBe(status);
  });

  it("refuses with the generic answer and logs the requirement and the session", async () => {
    const { token } = await login(uniqueUser({ email: "mallory@evil.test" }));
    const json = await get(policy, token, "/corp/page");
    expect(await json.json()).toEqual({ error: "forbidden" });
    const page = await get(policy, token, "/corp/page", { headers: { accept: "text/html" } });
    expect(page.status).toBe(403);
    const html = await page.text();
    expect(html).toContain("Access denied");
    expect(html).not.toContain("emailDomains");
    expect(events("access.forbidden")).toContainEqual(expect.objectContaining({ session: publicId(token), requirement: "emailDomains", path: "/corp/page" }));
  });
});

describe("ips on a route", () => {
  it.each<[string, Record<string, string>, number]>([
    ["an address inside the office block", { "cf-connecting-ip": "192.0.2.44" }, 200],
    ["the same address IPv4-mapped", { "cf-connecting-ip": "::ffff:192.0.2.44" }, 200],
    ["an IPv6 address inside the block", { "cf-connecting-ip": "2001:db8::7" }, 200],
    ["an address outside", { "cf-connecting-ip": "198.51.100.1" }, 403],
    ["no CF-Connecting-IP", {}, 403],
    ["an office address only in X-Forwarded-For", { "cf-connecting-ip": "198.51.100.1", "x-forwarded-for": "192.0.2.44" }, 403],
    ["an office address only in X-Real-IP", { "x-real-ip": "192.0.2.44" }, 403],
  ])("%s ⇒ %i", async (_, headers, status) => {
    const { token } = await login(uniqueUser());
    expect((await get(policy, token, "/office/x", { headers })).status).toBe(status);
  });
});

describe("countries on a route", () => {
  it.each<[string, Record<string, unknown> | undefined, number]>([
    ["a listed country", { country: "DE" }, 200],
    ["another country", { country: "FR" }, 403],
    ["a request whose cf has no country", {}, 403],
    ["a request without cf", undefined, 403],
  ])("%s ⇒ %i", async (_, cf, status) => {
    const { token } = await login(uniqueUser());
    expect((await get(policy, token, "/eu/x", cf ? { cf } : {})).status).toBe(status);
  });
});

describe("maxAuthAgeSeconds (re-authentication)", () => {
  const T0 = Math.ceil(Date.now() / 1000) * 1000 + 40 * 24 * 3600 * 1000;
  const at = (ms: number) => vi.setSystemTime(T0 + ms);
  // The test bindings' idle timeout is 600 s too: a use half-way keeps the session alive.
  const keepAlive = async (token: string) => {
    at(300_000);
    expect((await get(policy, token, "/anything")).status).toBe(200);
  };
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    at(0);
  });

  it("admits a session authenticated within the limit", async () => {
    const { token } = await login(uniqueUser());
    await keepAlive(token);
    at(600_000);
    expect((await get(policy, token, "/fresh")).status).toBe(200);
  });

  it("sends a browser to log in again with max_age once the limit has passed", async () => {
    const { token } = await login(uniqueUser());
    await keepAlive(token);
    at(601_000);
    const response = await get(policy, token, "/fresh?tab=2", { headers: { accept: "text/html" } });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe(`/_gateway/login?return_to=${encodeURIComponent("/fresh?tab=2")}&max_age=600`);
    // The session itself is not ended: other routes still take it.
    expect((await get(policy, token, "/anything")).status).toBe(200);
    expect(events("access.reauthentication_required")).toContainEqual(expect.objectContaining({ session: publicId(token), requirement: "maxAuthAgeSeconds" }));
  });

  it("answers anything but a browser navigation 401 reauthentication_required", async () => {
    const { token } = await login(uniqueUser());
    await keepAlive(token);
    at(601_000);
    const response = await get(policy, token, "/fresh", { method: "POST" });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: "reauthentication_required" });
  });

  it("passes max_age on to LOGIN_URL, and a new login is fresh again", async () => {
    const user = uniqueUser();
    const { token } = await login(user);
    await keepAlive(token);
    at(700_000);
    const start = await get(policy, token, "/_gateway/login?return_to=%2Ffresh&max_age=600");
    expect(start.status).toBe(302);
    expect(start.headers.get("location")).toBe("/login?return_to=%2Ffresh&max_age=600");
    const again = await login(user, { cookie: cookie(token) });
    const session = await (await get(policy, again.token, "/_gateway/session")).json<{ authenticatedAt: string }>();
    expect(Date.parse(session.authenticatedAt)).toBe(T0 + 700_000);
    expect((await get(policy, again.token, "/fresh")).status).toBe(200);
  });

  it.each(["0", "-1", "abc", "1e3", "9999999999"])("ignores a max_age that is not whole seconds (%s)", async (value) => {
    const start = await get(policy, null, `/_gateway/login?return_to=%2F&max_age=${value}`);
    expect(start.headers.get("location")).toBe("/login?return_to=%2F");
  });

  it("refuses with 403, not a new login, when another requirement fails too", async () => {
    const { token } = await login(uniqueUser({ roles: ["user"] }));
    await keepAlive(token);
    at(601_000);
    const response = await get(policy, token, "/admin", { headers: { accept: "text/html", "cf-connecting-ip": "192.0.2.1" } });
    expect(response.status).toBe(403);
    expect(events("access.forbidden")).toContainEqual(expect.objectContaining({ session: publicId(token), requirement: "roles" }));
  });

  it("admits the admin area only from the office and within 10 minutes of signing in", async () => {
    const { token } = await login(uniqueUser({ roles: ["admin"] }));
    const office = { "cf-connecting-ip": "192.0.2.1" };
    await keepAlive(token);
    at(599_000);
    expect((await get(policy, token, "/admin", { headers: office })).status).toBe(200);
    expect((await get(policy, token, "/admin", { headers: { "cf-connecting-ip": "203.0.113.5" } })).status).toBe(403);
    at(601_000);
    expect((await get(policy, token, "/admin", { headers: office })).status).toBe(401);
  });
});

/** A delegated login with these bindings: the echo origin answers /login with X-Gateway-Login. */
function loginIn(env: Env, user: SessionUser, accept = "application/json"): Promise<Response> {
  const headers = new Headers({ accept, "x-echo-respond": JSON.stringify({ "X-Gateway-Login": asciiJson(user) }) });
  return gatewayFetchIn(env, "/login", { method: "POST", headers });
}

describe("ALLOWED_USERS", () => {
  const company = bindings({ ROUTES: JSON.stringify(ROUTES), ALLOWED_USERS: JSON.stringify({ emailDomains: ["example.com"] }) });

  it("lets an allowed user log in", async () => {
    const response = await loginIn(company, uniqueUser());
    expect(response.status).toBe(200);
    expect(sessionTokenFrom(response)).toBeTruthy();
  });

  it("refuses a login with a page that names the account and offers another sign-in; no session, no Durable Object", async () => {
    const before = (await listDurableObjectIds(env.SESSIONS)).length;
    const response = await loginIn(company, uniqueUser({ email: "eve<b>@evil.test" }), "text/html");
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(sessionTokenFrom(response)).toBeNull();
    const html = await response.text();
    expect(html).toContain("eve&lt;b&gt;@evil.test");
    expect(html).not.toContain("<b>");
    expect(html).toContain('href="/_gateway/login?prompt=select_account"');
    expect((await listDurableObjectIds(env.SESSIONS)).length).toBe(before);
    expect(events("login.user_not_allowed")).toContainEqual(expect.objectContaining({ requirement: "ALLOWED_USERS.emailDomains" }));
  });

  it("refuses a login from a script with 403 JSON", async () => {
    const response = await loginIn(company, uniqueUser({ email: "eve@evil.test" }));
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ error: "forbidden" });
  });

  it("names the account by its id when it has no email", async () => {
    const user = uniqueUser({ email: undefined });
    const response = await loginIn(company, user, "text/html");
    expect(response.status).toBe(403);
    expect(await response.text()).toContain(user.sub);
  });

  it("leaves the sessions the refused login presented alive", async () => {
    const { token } = await login(uniqueUser());
    const headers = new Headers({ accept: "text/html", cookie: cookie(token), "x-echo-respond": JSON.stringify({ "X-Gateway-Login": asciiJson(uniqueUser({ email: "eve@evil.test" })) }) });
    expect((await gatewayFetchIn(company, "/login", { method: "POST", headers })).status).toBe(403);
    expect((await get(company, token, "/anything")).status).toBe(200);
  });

  it("refuses, on every request, a session whose user no longer meets it (403, not a login prompt)", async () => {
    const { token } = await login(uniqueUser({ email: "bob@other.test" })); // before the setting changed
    for (const accept of ["application/json", "text/html"]) {
      const response = await get(company, token, "/anything", { headers: { accept } });
      expect(response.status).toBe(403);
    }
    expect(events("access.forbidden")).toContainEqual(expect.objectContaining({ session: publicId(token), requirement: "ALLOWED_USERS" }));
    expect(events("access.user_not_allowed")).toContainEqual(expect.objectContaining({ session: publicId(token), requirement: "ALLOWED_USERS.emailDomains" }));
    expect((await get(company, token, "/_gateway/session")).status).toBe(401);
  });

  it("sends no identity to the origin for such a session, even on a public route", async () => {
    const { token } = await login(uniqueUser({ email: "bob@other.test" }));
    const response = await get(company, token, "/public/page");
    expect(response.status).toBe(200);
    const body = await response.json<EchoBody>();
    expect(echoHeader(body, "x-auth-user")).toBeNull();
    expect(echoHeader(body, "x-auth-session")).toBeNull();
  });

  it("still lets such a session log out", async () => {
    const { token } = await login(uniqueUser({ email: "bob@other.test" }));
    const response = await get(company, token, "/_gateway/logout", { method: "POST" });
    expect(response.status).toBe(204);
    expect((await get(bindings({}), token, "/anything")).status).toBe(401);
  });
});
