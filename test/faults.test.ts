import { setStoreTimeoutMs, STORE_TIMEOUT_MS } from "../src/session/durable-call";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN_TOKEN, cookie, gatewayFetchWith, login, uniqueUser } from "./helpers";

afterEach(() => {
  vi.restoreAllMocks();
});

/** An origin that records whether anything reached it. */
function recordingOrigin() {
  const seen: string[] = [];
  return {
    seen,
    binding: { fetch: async (request: Request) => (seen.push(request.url), new Response("origin")) } as unknown as Fetcher,
  };
}

describe("invalid configuration", () => {
  it("answers 503 to every request, proxies nothing, and logs every problem at once", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const origin = recordingOrigin();
    const broken = {
      ORIGIN: origin.binding,
      ROUTES: "[{ not json",
      IDLE_TIMEOUT_SECONDS: "soon",
      COOKIE_NAME: "session",
      SESSION_SECRET: "short",
    };
    for (const path of ["/public/x", "/admin", "/_gateway/session", "/_gateway/admin/users/a/sessions"]) {
      const response = await gatewayFetchWith(broken, path);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ error: "unavailable" });
    }
    expect(origin.seen).toEqual([]);
    const logged = errors.mock.calls.map(([line]) => JSON.parse(String(line)) as { event: string; problems?: string[] });
    const problems = logged.find((entry) => entry.event === "config.invalid")!.problems!;
    expect(problems).toEqual([
      expect.stringMatching(/^ROUTES \("\[{ not json"\) is not valid JSON/),
      expect.stringMatching(/^IDLE_TIMEOUT_SECONDS \("soon"\)/),
      expect.stringMatching(/^COOKIE_NAME \("session"\) must be a cookie-name token starting with "__Host-"/),
      expect.stringMatching(/^SESSION_SECRET keys must be at least 32 characters/),
    ]);
    expect(JSON.stringify(logged)).not.toContain('"short"');
  });
});

describe("R-08 an invalid configuration", () => {
  // Two problems at once: a key too short to sign with, and ROUTES that are not JSON. The
  // origin is the echo origin behind a recorder, so a login it answers would be a real one.
  const seen: string[] = [];
  const echo = (env as unknown as { ORIGIN: Fetcher }).ORIGIN;
  const broken = {
    ORIGIN: { fetch: (request: Request) => (seen.push(request.url), echo.fetch(request)) } as unknown as Fetcher,
    ROUTES: "[{not json",
    SESSION_SECRET: "short",
  };

  it.each<[string, string, string, Record<string, string>]>([
    ["a public route", "GET", "/public/x", {}],
    ["a protected route", "GET", "/zzz", {}],
    ["a login the origin would accept", "POST", "/login", { "x-echo-respond": JSON.stringify({ "X-Gateway-Login": JSON.stringify({ sub: "r08-config" }) }) }],
    ["the session endpoint", "GET", "/_gateway/session", {}],
    ["the login endpoint", "GET", "/_gateway/login?return_to=/x", {}],
    ["the logout endpoint", "POST", "/_gateway/logout", {}],
    ["the admin API with its token", "GET", "/_gateway/admin/users/x/sessions", { authorization: `Bearer ${ADMIN_TOKEN}` }],
    ["an ambiguous path", "GET", "/admin%2Fx", {}],
  ])("answers 503 to %s and forwards nothing", async (_what, method, path, headers) => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    seen.length = 0;
    const response = await gatewayFetchWith(broken, path, { method, headers });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: "unavailable" });
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(seen).toEqual([]);
  });

  it("logs every configuration problem, naming the setting and never quoting the secret", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    seen.length = 0;
    expect((await gatewayFetchWith(broken, "/public/x")).status).toBe(503);
    const log = errors.mock.calls.flat().join("\n");
    expect(log).toContain("config.invalid");
    expect(log).toMatch(/ROUTES[^\n]*JSON/);
    expect(log).toMatch(/SESSION_SECRET[^\n]*32/);
    expect(log).not.toContain("short"); // the secret's value, in any quoting
    expect(seen).toEqual([]);
  });
});

describe("session store failures", () => {
  function failingNamespace(failure: () => Promise<never>): DurableObjectNamespace {
    return {
      idFromName: (name: string) => env.SESSIONS.idFromName(name),
      get: () => new Proxy({}, { get: () => failure }),
    } as unknown as DurableObjectNamespace;
  }

  /** An error as the runtime raises it for infrastructure: flagged retryable or overloaded. */
  function platformError(message: string, flag: "retryable" | "overloaded"): Error {
    return Object.assign(new Error(message), { [flag]: true });
  }

  it.each([
    ["is reset mid-request", () => Promise.reject(platformError("Durable Object reset because its code was updated.", "retryable"))],
    ["is overloaded", () => Promise.reject(platformError("Durable Object is overloaded. Too many requests queued.", "overloaded"))],
    ["loses its connection", () => Promise.reject(platformError("Network connection lost.", "retryable"))],
  ])("answers 503 and forwards nothing when the session object %s", async (_, failure) => {
    const { token } = await login(uniqueUser());
    const origin = recordingOrigin();
    const response = await gatewayFetchWith({ SESSIONS: failingNamespace(failure), ORIGIN: origin.binding } as never, "/public/x", {
      headers: { cookie: cookie(token) },
    });
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: "unavailable" });
    expect(text).not.toContain("Durable Object");
    expect(origin.seen).toEqual([]);
  });

  it("answers 500 and logs the stack when the session object throws a bug, and forwards nothing", async () => {
    const { token } = await login(uniqueUser());
    const origin = recordingOrigin();
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const bug = () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'sub')"));
      const response = await gatewayFetchWith({ SESSIONS: failingNamespace(bug), ORIGIN: origin.binding } as never, "/public/x", { headers: { cookie: cookie(token) } });
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: "internal_error" });
      expect(origin.seen).toEqual([]);
      const line = logged.mock.calls.map(([text]) => JSON.parse(String(text))).find((entry) => entry.event === "request.error");
      expect(line.stack).toContain("TypeError: Cannot read properties of undefined");
    } finally {
      logged.mockRestore();
    }
  });

  it("answers 503 when login cannot create the session, and sets no cookie", async () => {
    const origin = {
      fetch: async () => new Response("ok", { headers: { "X-Gateway-Login": JSON.stringify({ sub: "alice" }) } }),
    } as unknown as Fetcher;
    const response = await gatewayFetchWith(
      { SESSIONS: failingNamespace(() => Promise.reject(platformError("down", "retryable"))), ORIGIN: origin } as never,
      "/login",
      { method: "POST" },
    );
    expect(response.status).toBe(503);
    expect(response.headers.getSetCookie()).toEqual([]);
  });
});

describe("timeouts", () => {
  it("answers 503 and forwards nothing when the session object does not answer in time", async () => {
    const { token } = await login(uniqueUser());
    const origin = recordingOrigin();
    const hanging = {
      idFromName: (name: string) => env.SESSIONS.idFromName(name),
      get: () => new Proxy({}, { get: () => () => new Promise(() => {}) }),
    } as unknown as DurableObjectNamespace;
    // Production's deadline, which the other tests lengthen (test/store-deadline.ts).
    const restore = setStoreTimeoutMs(STORE_TIMEOUT_MS);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const pending = gatewayFetchWith({ SESSIONS: hanging, ORIGIN: origin.binding } as never, "/public/x", { headers: { cookie: cookie(token) } });
      await vi.advanceTimersByTimeAsync(STORE_TIMEOUT_MS);
      const response = await pending;
      expect(response.status).toBe(503);
      expect(origin.seen).toEqual([]);
    } finally {
      vi.useRealTimers();
      restore();
    }
  });

  it("answers 504 when the origin sends no response within ORIGIN_TIMEOUT_SECONDS", async () => {
    const hangingOrigin = { fetch: () => new Promise<Response>(() => {}) } as unknown as Fetcher;
    const started = Date.now();
    const response = await gatewayFetchWith({ ORIGIN: hangingOrigin, ORIGIN_TIMEOUT_SECONDS: "1" }, "/public/x");
    expect(response.status).toBe(504);
    expect(await response.json()).toEqual({ error: "gateway_timeout" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("lets a slow body stream after the headers arrived in time", async () => {
    const slowBody = {
      fetch: async () => {
        const { readable, writable } = new TransformStream();
        const writer = writable.getWriter();
        void (async () => {
          await new Promise((resolve) => setTimeout(resolve, 1_500));
          await writer.write(new TextEncoder().encode("late but whole"));
          await writer.close();
        })();
        return new Response(readable);
      },
    } as unknown as Fetcher;
    const response = await gatewayFetchWith({ ORIGIN: slowBody, ORIGIN_TIMEOUT_SECONDS: "1" }, "/public/x");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("late but whole");
  });
});
