/** Shared helpers for the tests that go through the Worker's fetch handler. */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, beforeEach, vi, type MockInstance } from "vitest";
import worker from "../src/index";
import type { Env } from "../src/env";
import type { SessionUser } from "../src/session/types";

export const BASE = "https://gateway.test";
export const COOKIE_NAME = "__Host-session";
export const ADMIN_TOKEN = (env as unknown as Env).ADMIN_TOKEN!;

export interface EchoBody {
  method: string;
  url: string;
  path: string;
  search: string;
  headers: [string, string][];
  body: string;
}

/**
 * A request through the Worker's own fetch handler, with the test bindings. The handler is
 * called directly rather than through `exports.default.fetch`, whose loopback slows down with
 * every call in this pool version (measured: 100 requests took 0.35 s, then 1 s, 2.6 s, 5.2 s).
 */
export function gatewayFetch(path: string, init: RequestInit = {}): Promise<Response> {
  return callHandler(env as unknown as Env, path, init);
}

/** The same handler with other settings: `{ ...env, ...overrides }`. */
export function gatewayFetchWith(overrides: Partial<Env> & Record<string, unknown>, path: string, init: RequestInit = {}, gateway = worker): Promise<Response> {
  return callHandler({ ...(env as unknown as Env), ...overrides } as Env, path, init, gateway);
}

/**
 * The same handler with a whole env object of the caller's. Reuse one object for many
 * requests: the configuration is validated once per env object (test/differential).
 */
export function gatewayFetchIn(bindings: Env, path: string, init: RequestInit = {}): Promise<Response> {
  return callHandler(bindings, path, init);
}

async function callHandler(bindings: Env, path: string, init: RequestInit, gateway = worker): Promise<Response> {
  const ctx = createExecutionContext();
  const request = new Request(`${BASE}${path}`, { redirect: "manual", ...init }) as Request<unknown, IncomingRequestCfProperties>;
  const response = await gateway.fetch!(request, bindings, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/**
 * What workerd's fetch() rejects with when the connection is refused or the peer hangs up
 * (measured: an Error "Network connection lost." flagged `retryable`). Tests of a peer that
 * is down fail the fetch with it instead of dialling a closed port: workerd prints a real
 * connection failure as two native stack dumps, even when the rejection is handled.
 */
export function connectionLost(): Error {
  return Object.assign(new Error("Network connection lost."), { retryable: true });
}

/** A fetch that fails as a refused connection does when `refuses(request)`, and sends the rest. */
export function refusingFetch(refuses: (request: Request) => boolean = () => true): typeof fetch {
  return async function refusingFetch(input, init) {
    const request = new Request(input, init);
    if (refuses(request)) throw connectionLost();
    return fetch(request);
  };
}

/** An ORIGIN service binding whose origin cannot be reached. */
export const UNREACHABLE_ORIGIN = { fetch: refusingFetch() } as unknown as Fetcher;

/**
 * A client address of a test's own (documentation range 2001:db8::/32): the forged credentials
 * it sends count against that address's limit (credentials/failure-limit.ts), not against the
 * "unknown" one every request without CF-Connecting-IP shares.
 */
export function clientAddress(): string {
  const group = () => Math.floor(Math.random() * 0xffff).toString(16);
  return `2001:db8:${group()}::${group()}`;
}

/** `init` sent from `address` (CF-Connecting-IP), unless it names one itself. */
export function fromAddress(address: string, init: RequestInit = {}): RequestInit {
  const headers = new Headers(init.headers);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", address);
  return { ...init, headers };
}

let counter = 0;
/** A fresh subject per call, so each test has its own sessions. */
export function uniqueUser(overrides: Partial<SessionUser> = {}): SessionUser {
  counter += 1;
  const sub = `user-${counter}-${crypto.randomUUID().slice(0, 8)}`;
  return { sub, email: `${sub}@example.com`, name: `User ${counter}`, roles: ["user"], ...overrides };
}

/** Logs in through the delegated flow: the echo origin answers /login with X-Gateway-Login. */
export async function login(user: SessionUser, init: { cookie?: string; path?: string } = {}): Promise<{ token: string; response: Response }> {
  const headers = new Headers({ "x-echo-respond": JSON.stringify({ "X-Gateway-Login": asciiJson(user) }) });
  if (init.cookie) headers.set("cookie", init.cookie);
  const response = await gatewayFetch(init.path ?? "/login", { method: "POST", headers });
  const token = sessionTokenFrom(response);
  if (!token) throw new Error(`login did not set a session cookie (status ${response.status})`);
  return { token, response };
}

/** JSON in printable ASCII, as X-Gateway-Login must be (README: non-ASCII as \uXXXX). */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The session token a response sets, or null. */
export function sessionTokenFrom(response: Response): string | null {
  for (const line of response.headers.getSetCookie()) {
    const match = new RegExp(`^${COOKIE_NAME}=([^;]*)`).exec(line);
    if (match && match[1]) return match[1];
  }
  return null;
}

export function cookie(token: string): string {
  return `${COOKIE_NAME}=${token}`;
}

/** GET through the gateway with the session cookie; the echo body when the origin answered. */
export function fetchWithSession(token: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("cookie", [headers.get("cookie"), cookie(token)].filter(Boolean).join("; "));
  return gatewayFetch(path, { ...init, headers });
}

export function echoHeader(body: EchoBody, name: string): string | null {
  const found = body.headers.find(([key]) => key.toLowerCase() === name.toLowerCase());
  return found ? found[1] : null;
}

export function adminFetch(path: string, init: RequestInit = {}, token = ADMIN_TOKEN): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  return gatewayFetch(`/_gateway/admin${path}`, { ...init, headers });
}

/**
 * For a file that resolves broken configurations: each test's console.error and console.warn
 * are silenced, and `errorLog()` is what went to console.error in the current test.
 */
export function silenceConfigLogs(): { errorLog: () => string } {
  let consoleError: MockInstance | undefined;
  beforeEach(() => {
    consoleError = vi.spyOn(console, "error").mockImplementation(() => {});
    vi.spyOn(console, "warn").mockImplementation(() => {});
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return { errorLog: () => consoleError!.mock.calls.flat().join("\n") };
}
