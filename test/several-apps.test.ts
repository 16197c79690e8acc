/**
 * Several apps behind one gateway (docs/several-apps.md): rules choose an origin by host and
 * path together, named origins are URLs (with a path prefix) or service bindings, PRESERVE_HOST,
 * and one session across subdomains with COOKIE_DOMAIN. Through the Worker's fetch handler; the
 * service-binding origins are stand-ins that record what reached them, and the URL origins'
 * requests are read from a spy on the global fetch (the terminal's last hop).
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import type { Env } from "../src/env";
import { resolveConfig } from "../src/config/resolve";
import { asciiJson, silenceConfigLogs, uniqueUser } from "./helpers";

interface Seen {
  readonly origin: string;
  readonly url: string;
  readonly headers: Record<string, string>;
}

/** A service-binding origin that answers with what it received, and keeps it. */
function recordingOrigin(name: string, seen: Seen[], respond: (request: Request) => HeadersInit = () => ({})): Fetcher {
  return {
    async fetch(input: RequestInfo | URL, init?: RequestInit) {
      const request = new Request(input, init);
      const record = { origin: name, url: request.url, headers: Object.fromEntries(request.headers) };
      seen.push(record);
      return Response.json(record, { headers: respond(request) });
    },
  } as unknown as Fetcher;
}

const APPS_ROUTES = [
  { host: "*.example.com", path: "/login", access: "public" },
  { host: "admin.example.com", path: "/*", access: { roles: ["admin"] }, origin: "admin" },
  { host: "api.example.com", path: "/public/*", access: "public", origin: "api" },
  { host: "api.example.com", path: "/*", access: "session", origin: "api" },
  { host: "app.example.com", path: "/*", access: "public" },
];

function appsEnv(seen: Seen[], overrides: Record<string, unknown> = {}): Env {
  return {
    ...(env as unknown as Env),
    ORIGIN: recordingOrigin("default", seen, loginHeader),
    ADMIN_APP: recordingOrigin("admin", seen, loginHeader),
    API_APP: recordingOrigin("api", seen),
    ORIGINS: JSON.stringify({ admin: { service: "ADMIN_APP" }, api: { service: "API_APP" } }),
    ROUTES: JSON.stringify(APPS_ROUTES),
    ...overrides,
  } as Env;
}

/** The stand-in origins log in whoever `x-login-as` names on /login (an origin's login form). */
function loginHeader(request: Request): HeadersInit {
  const as = request.headers.get("x-login-as");
  return as && new URL(request.url).pathname === "/login" ? { "X-Gateway-Login": as } : {};
}

async function fetchAt(bindings: Env, url: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch!(new Request(url, { redirect: "manual", ...init }) as Request<unknown, IncomingRequestCfProperties>, bindings, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

async function loginAt(bindings: Env, url: string, user = uniqueUser()): Promise<{ setCookie: string; token: string }> {
  const response = await fetchAt(bindings, url, { method: "POST", headers: { "x-login-as": asciiJson(user) } });
  const setCookie = response.headers.getSetCookie().find((line) => /^__(Host|Secure)-session=[^;]/.test(line));
  if (!setCookie) throw new Error(`no session cookie from ${url} (status ${response.status})`);
  return { setCookie, token: setCookie.slice(setCookie.indexOf("=") + 1, setCookie.indexOf(";")) };
}

describe("rules with host and origin", () => {
  it("sends each host to its rule's origin and to no other", async () => {
    const seen: Seen[] = [];
    const bindings = appsEnv(seen);
    for (const [url, origin] of [
      ["https://app.example.com/page", "default"],
      ["https://api.example.com/public/status", "api"],
    ] as const) {
      seen.length = 0;
      const response = await fetchAt(bindings, url);
      expect(response.status, url).toBe(200);
      expect(seen.map((one) => one.origin), url).toEqual([origin]);
    }
  });

  it("decides by host and path together: the same path on two hosts has two rules", async () => {
    const seen: Seen[] = [];
    const bindings = appsEnv(seen);
    expect((await fetchAt(bindings, "https://app.example.com/private")).status).toBe(200);
    const api = await fetchAt(bindings, "https://api.example.com/private", { headers: { accept: "application/json" } });
    expect(api.status).toBe(401);
    expect(seen.map((one) => one.origin)).toEqual(["default"]);
  });

  it("enforces the admin host's requirements and reaches its origin with them met", async () => {
    const seen: Seen[] = [];
    const bindings = appsEnv(seen);
    const user = await loginAt(bindings, "https://admin.example.com/login", uniqueUser({ roles: ["user"] }));
    const admin = await loginAt(bindings, "https://admin.example.com/login", uniqueUser({ roles: ["admin"] }));
    seen.length = 0;
    const refused = await fetchAt(bindings, "https://admin.example.com/users", { headers: { cookie: `__Host-session=${user.token}` } });
    expect(refused.status).toBe(403);
    const allowed = await fetchAt(bindings, "https://admin.example.com/users", { headers: { cookie: `__Host-session=${admin.token}` } });
    expect(allowed.status).toBe(200);
    expect(seen.map((one) => one.origin)).toEqual(["admin"]);
  });

  it("answers 404 for a host no rule names, without reaching any origin — even where DEFAULT_ACCESS would admit it", async () => {
    const seen: Seen[] = [];
    const bindings = appsEnv(seen, { DEFAULT_ACCESS: "public" });
    const response = await fetchAt(bindings, "https://unknown.example.org/page", { headers: { accept: "application/json" } });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: "not_found" });
    expect(seen).toEqual([]);
    // The same path on a named host falls through to DEFAULT_ACCESS at the default origin.
    expect((await fetchAt(bindings, "https://app.example.com/page")).status).toBe(200);
  });

  it("lets a host no rule names reach the default origin only through a rule without host", async () => {
    const seen: Seen[] = [];
    const bindings = appsEnv(seen, { ROUTES: JSON.stringify([{ path: "/status", access: "public" }, ...APPS_ROUTES]) });
    expect((await fetchAt(bindings, "https://unknown.example.org/status")).status).toBe(200);
    expect((await fetchAt(bindings, "https://unknown.example.org/other", { headers: { accept: "application/json" } })).status).toBe(404);
    expect(seen.map((one) => one.origin)).toEqual(["default"]);
  });

  it("matches a host pattern case-insensitively, as the URL parser lowers the Host", async () => {
    const seen: Seen[] = [];
    const bindings = appsEnv(seen, { ROUTES: JSON.stringify([{ host: "API.Example.com", path: "/*", access: "public", origin: "api" }]) });
    expect((await fetchAt(bindings, "https://Api.EXAMPLE.com/x")).status).toBe(200);
    expect(seen.map((one) => one.origin)).toEqual(["api"]);
  });

  it("keeps a single-origin configuration unchanged: no rule names a host, every host is served", async () => {
    const seen: Seen[] = [];
    const bindings = { ...(env as unknown as Env), ORIGIN: recordingOrigin("default", seen), ROUTES: JSON.stringify([{ path: "/*", access: "public" }]) } as Env;
    expect((await fetchAt(bindings, "https://anything.example.net/x")).status).toBe(200);
    expect(seen.map((one) => one.origin)).toEqual(["default"]);
  });

  it("accepts LOGIN_ROUTES per host: an origin's X-Gateway-Login counts only on its host's login paths", async () => {
    const seen: Seen[] = [];
    const bindings = appsEnv(seen, {
      LOGIN_ROUTES: JSON.stringify({ "admin.example.com": ["/login"], "*": [] }),
      LOGIN_URL: JSON.stringify({ "admin.example.com": "/login", "*": "/sign-in" }),
    });
    await expect(loginAt(bindings, "https://admin.example.com/login")).resolves.toMatchObject({ token: expect.any(String) });
    await expect(loginAt(bindings, "https://app.example.com/login")).rejects.toThrow(/no session cookie/);
    const start = await fetchAt(bindings, "https://app.example.com/_gateway/login?return_to=/x");
    expect(start.headers.get("location")).toBe("/sign-in?return_to=%2Fx");
    const adminStart = await fetchAt(bindings, "https://admin.example.com/_gateway/login?return_to=/x");
    expect(adminStart.headers.get("location")).toBe("/login?return_to=%2Fx");
  });
});

describe("URL origins: path prefix and Host", () => {
  afterEach(() => vi.restoreAllMocks());

  /** The URL origins' requests, answered 200 without leaving the isolate. */
  function spyOnOriginFetch(): { calls: { url: string; host: string | null; forwardedHost: string | null; resolveOverride: unknown }[] } {
    const calls: { url: string; host: string | null; forwardedHost: string | null; resolveOverride: unknown }[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input as RequestInfo, init);
      calls.push({
        url: request.url,
        host: new URL(request.url).host,
        forwardedHost: request.headers.get("x-forwarded-host"),
        resolveOverride: (init as RequestInit<RequestInitCfProperties> | undefined)?.cf?.resolveOverride,
      });
      return new Response("ok");
    });
    return { calls };
  }

  function urlEnv(overrides: Record<string, unknown>): Env {
    const { ORIGIN: _binding, ...rest } = env as unknown as Env & Record<string, unknown>;
    return { ...rest, ROUTES: JSON.stringify([{ path: "/*", access: "public" }]), ...overrides } as unknown as Env;
  }

  it("appends the canonical path and query to ORIGIN_URL's path prefix", async () => {
    const { calls } = spyOnOriginFetch();
    const bindings = urlEnv({ ORIGIN_URL: "https://internal.example.net/app/" });
    expect((await fetchAt(bindings, "https://gateway.example.com/a/./b/../c?x=1&y=%20")).status).toBe(200);
    expect(calls).toEqual([{ url: "https://internal.example.net/app/a/c?x=1&y=%20", host: "internal.example.net", forwardedHost: "gateway.example.com", resolveOverride: undefined }]);
  });

  it("never lets a path escape the prefix or change the origin's host", async () => {
    const { calls } = spyOnOriginFetch();
    const bindings = urlEnv({ ORIGIN_URL: "https://internal.example.net/app" });
    const paths = ["/a/..%2f..%2fetc", "//evil.example/x", "/%2e%2e/x", "/x/../../y"];
    const statuses = [];
    for (const path of paths) statuses.push((await fetchAt(bindings, `https://gateway.example.com${path}`)).status);
    // Each is refused as a path (400) or forwarded under the prefix; at least one is forwarded.
    expect(statuses.every((status) => status === 200 || status === 400)).toBe(true);
    expect(calls.length).toBe(statuses.filter((status) => status === 200).length);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call.host).toBe("internal.example.net");
      expect(new URL(call.url).pathname.startsWith("/app/")).toBe(true);
    }
  });

  it("sends a named URL origin its own prefix", async () => {
    const { calls } = spyOnOriginFetch();
    const bindings = urlEnv({
      ORIGIN_URL: "https://internal.example.net",
      ORIGINS: JSON.stringify({ docs: "http://docs-internal.example.net:8080/handbook" }),
      ROUTES: JSON.stringify([{ host: "docs.example.com", path: "/*", access: "public", origin: "docs" }, { host: "www.example.com", path: "/*", access: "public" }]),
    });
    await fetchAt(bindings, "https://docs.example.com/setup?v=2");
    await fetchAt(bindings, "https://www.example.com/setup");
    expect(calls.map((call) => call.url)).toEqual(["http://docs-internal.example.net:8080/handbook/setup?v=2", "https://internal.example.net/setup"]);
  });

  it("with PRESERVE_HOST, names the client's host and has Cloudflare connect to the origin's", async () => {
    const { calls } = spyOnOriginFetch();
    const bindings = urlEnv({ ORIGIN_URL: "https://internal.example.net:8443/app", PRESERVE_HOST: "true" });
    await fetchAt(bindings, "https://www.example.com/page?q=1");
    expect(calls).toEqual([{ url: "https://www.example.com:8443/app/page?q=1", host: "www.example.com:8443", forwardedHost: "www.example.com", resolveOverride: "internal.example.net" }]);
  });

  it("gives a service binding the client's URL, Host included, with or without PRESERVE_HOST", async () => {
    const seen: Seen[] = [];
    for (const preserve of ["false", "true"]) {
      await fetchAt(appsEnv(seen, { PRESERVE_HOST: preserve }), "https://app.example.com/page?x=1");
    }
    expect(seen.map((one) => [one.url, one.headers["x-forwarded-host"]])).toEqual([
      ["https://app.example.com/page?x=1", "app.example.com"],
      ["https://app.example.com/page?x=1", "app.example.com"],
    ]);
  });
});

describe("one session across subdomains (COOKIE_DOMAIN)", () => {
  it("sets a __Secure- cookie with Domain, which every host of the domain accepts, and clears it the same way", async () => {
    const seen: Seen[] = [];
    const bindings = appsEnv(seen, { COOKIE_DOMAIN: "example.com", COOKIE_NAME: "" });
    const { setCookie, token } = await loginAt(bindings, "https://app.example.com/login", uniqueUser({ roles: ["admin"] }));
    expect(setCookie).toMatch(/^__Secure-session=[^;]+; Max-Age=\d+; Domain=example\.com; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const cookie = `__Secure-session=${token}`;
    for (const url of ["https://admin.example.com/users", "https://api.example.com/data"]) {
      const response = await fetchAt(bindings, url, { headers: { cookie } });
      expect(response.status, url).toBe(200);
      const record = (await response.json()) as Seen;
      expect(record.headers["cookie"], "the session cookie stays with the gateway").toBeUndefined();
    }
    const logout = await fetchAt(bindings, "https://api.example.com/_gateway/logout", { method: "POST", headers: { cookie, "sec-fetch-site": "same-origin" } });
    expect(logout.headers.getSetCookie()).toContain("__Secure-session=; Max-Age=0; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Lax");
    // Ended everywhere at once: one session, one Durable Object.
    const after = await fetchAt(bindings, "https://admin.example.com/users", { headers: { cookie, accept: "application/json" } });
    expect(after.status).toBe(401);
  });

  it("refuses a comma-joined cookie tossed by a sibling subdomain, and treats two session cookies as none", async () => {
    const seen: Seen[] = [];
    const bindings = appsEnv(seen, { COOKIE_DOMAIN: "example.com", COOKIE_NAME: "" });
    const victim = await loginAt(bindings, "https://app.example.com/login", uniqueUser({ roles: ["admin"] }));
    const attacker = await loginAt(bindings, "https://app.example.com/login", uniqueUser({ roles: ["user"] }));
    // A sibling (evil.example.com) may set Domain=example.com cookies: `x=a,__Secure-session=<t>` is one cookie x.
    const tossed = await fetchAt(bindings, "https://api.example.com/data", { headers: { cookie: `x=a,__Secure-session=${attacker.token}`, accept: "application/json" } });
    expect(tossed.status).toBe(401);
    // Beside the victim's own: ambiguous, so neither counts, and neither is cleared.
    const both = await fetchAt(bindings, "https://api.example.com/data", { headers: { cookie: `__Secure-session=${attacker.token}; __Secure-session=${victim.token}`, accept: "application/json" } });
    expect(both.status).toBe(401);
    expect(both.headers.getSetCookie()).toEqual([]);
    const own = await fetchAt(bindings, "https://admin.example.com/users", { headers: { cookie: `__Secure-session=${victim.token}` } });
    expect(own.status).toBe(200);
  });

  it("keeps the __Host- cookie, with no Domain, without COOKIE_DOMAIN", async () => {
    const { setCookie } = await loginAt(appsEnv([]), "https://app.example.com/login");
    expect(setCookie).toMatch(/^__Host-session=/);
    expect(setCookie).not.toMatch(/domain/i);
  });
});

describe("configuration of several apps", () => {
  const logs = silenceConfigLogs();
  void logs;

  async function problemsOf(overrides: Record<string, unknown>): Promise<string[]> {
    const result = await resolveConfig(appsEnv([], overrides));
    return result.ok ? [] : result.problems;
  }

  it.each([
    ["an unknown origin name", { ROUTES: JSON.stringify([{ path: "/*", access: "public", origin: "billing" }]) }, 'ROUTES[0].origin ("billing") is not an origin'],
    ["a bad hostname pattern", { ROUTES: JSON.stringify([{ host: "https://admin.example.com", path: "/*", access: "public" }]) }, "ROUTES[0].host"],
    ["a host with a port", { ROUTES: JSON.stringify([{ host: "admin.example.com:8443", path: "/*", access: "public" }]) }, "no scheme, port or path"],
    ["an origin that is not http(s)", { ORIGINS: JSON.stringify({ files: "ftp://files.example.com" }) }, 'ORIGINS.files ("ftp://files.example.com") must be an absolute http(s) URL'],
    ["an origin with a query", { ORIGINS: JSON.stringify({ files: "https://files.example.com/?a=1" }) }, "ORIGINS.files"],
    ["a missing service binding", { ORIGINS: JSON.stringify({ billing: { service: "BILLING" } }) }, "names the service binding BILLING, which the Worker does not have"],
    ["the reserved name default", { ORIGINS: JSON.stringify({ default: "https://x.example.com" }) }, "ORIGINS.default is reserved"],
    ["a __Host- cookie with COOKIE_DOMAIN", { COOKIE_DOMAIN: "example.com", COOKIE_NAME: "__Host-session" }, 'COOKIE_NAME ("__Host-session") must be a cookie-name token starting with "__Secure-"'],
    ["a host outside COOKIE_DOMAIN", { COOKIE_DOMAIN: "example.org", COOKIE_NAME: "" }, 'ROUTES[1].host ("admin.example.com") is not under COOKIE_DOMAIN'],
    ["a COOKIE_DOMAIN that is not a domain", { COOKIE_DOMAIN: "localhost:8787", COOKIE_NAME: "" }, "COOKIE_DOMAIN"],
    ["a per-host LOGIN_ROUTES without \"*\"", { LOGIN_ROUTES: JSON.stringify({ "admin.example.com": ["/login"] }) }, 'must have a "*" entry'],
    ["a per-host LOGIN_URL with a bad host", { LOGIN_URL: JSON.stringify({ "a b": "/login", "*": "/login" }) }, 'has the key "a b"'],
  ])("reports %s", async (_what, overrides, expected) => {
    const problems = await problemsOf(overrides);
    expect(problems.join("\n")).toContain(expected);
  });

  it("accepts the three-app configuration", async () => {
    const result = await resolveConfig(appsEnv([], { COOKIE_DOMAIN: "example.com", COOKIE_NAME: "" }));
    expect(result.ok).toBe(true);
    // The bindings ORIGINS names are read, not unknown settings.
    const unknown = result.warnings.filter((warning) => warning.event === "config.unknown_setting").map((warning) => warning.fields.name);
    expect(unknown).not.toContain("ADMIN_APP");
    expect(unknown).not.toContain("API_APP");
  });
});
