/**
 * Checklist R-08 (fail closed), black-box, for the failures a black box can cause: the origin
 * resets the connection or is down (502, generic body), and an invalid configuration (503 for
 * every request, nothing forwarded). A Durable Object failure (503) is injected inside workerd
 * by test/faults.test.ts; an origin that hangs (504) belongs to ORIGIN_TIMEOUT_SECONDS.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2E_ADMIN_TOKEN, type EchoOrigin, type GatewayProcess, loginAs, rawRequest, type RawResponse, startEchoOrigin, startGateway } from "./harness";
import { observe, outputContaining, ROUTES, secretsOf, sessionCookie, setCookieLines } from "./helpers";

let origin: EchoOrigin;
let gateway: GatewayProcess;
let misconfiguredOrigin: EchoOrigin;
let misconfigured: GatewayProcess;

beforeAll(async () => {
  [origin, misconfiguredOrigin] = await Promise.all([startEchoOrigin(), startEchoOrigin()]);
  [gateway, misconfigured] = await Promise.all([
    startGateway({ originUrl: origin.url, vars: { ROUTES } }),
    // Two problems at once: a key too short to sign with, and ROUTES that are not JSON.
    startGateway({ originUrl: misconfiguredOrigin.url, vars: { ROUTES: "[{not json", SESSION_SECRET: "short" } }),
  ]);
});
afterAll(async () => {
  await Promise.all([gateway?.stop(), misconfigured?.stop()]);
  await misconfiguredOrigin?.close();
  // `origin` is closed by the last test; closing twice is harmless.
  await origin?.close().catch(() => undefined);
});

/** The one generic answer for an error: a JSON body naming the code, nothing else. */
function expectGenericError(response: RawResponse, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(JSON.parse(response.body)).toEqual({ error: code });
  expect(response.headers["cache-control"]).toBe("no-store");
}

describe("R-08 the origin fails", () => {
  it("answers 502 with a generic body when the origin resets the connection", async () => {
    const { token } = await loginAs(gateway.port, { sub: "r08-user" });
    for (const method of ["GET", "POST"]) {
      const response = await rawRequest(gateway.port, method, "/reset", { cookie: sessionCookie(token) }, method === "POST" ? "{}" : undefined);
      expectGenericError(response, 502, "bad_gateway");
      for (const secret of secretsOf(token)) expect(response.body + JSON.stringify(response.headers)).not.toContain(secret);
    }
  });

  // Last in this describe: it stops the origin.
  it("answers 502 with a generic body when nothing listens at ORIGIN_URL any more", async () => {
    const { token } = await loginAs(gateway.port, { sub: "r08-down" });
    await origin.close();
    for (const [path, headers] of [
      ["/zzz", { cookie: sessionCookie(token) }],
      ["/public/x", {}],
    ] as const) {
      expectGenericError(await rawRequest(gateway.port, "GET", path, headers), 502, "bad_gateway");
    }
    // Access is still decided first: no session, no attempt at the origin.
    expectGenericError(await rawRequest(gateway.port, "GET", "/zzz", {}), 401, "unauthenticated");
  });
});

describe("R-08 an invalid configuration", () => {
  it.each<[string, string, string, Record<string, string>]>([
    ["a public route", "GET", "/public/x", {}],
    ["a protected route", "GET", "/zzz", {}],
    ["a login the origin would accept", "POST", "/login", { "x-echo-respond": JSON.stringify({ "X-Gateway-Login": JSON.stringify({ sub: "r08-config" }) }) }],
    ["the session endpoint", "GET", "/_gateway/session", {}],
    ["the login endpoint", "GET", "/_gateway/login?return_to=/x", {}],
    ["the logout endpoint", "POST", "/_gateway/logout", {}],
    ["the admin API with its token", "GET", "/_gateway/admin/users/x/sessions", { authorization: `Bearer ${E2E_ADMIN_TOKEN}` }],
    ["an ambiguous path", "GET", "/admin%2Fx", {}],
  ])("answers 503 to %s and forwards nothing", async (_what, method, path, headers) => {
    const { response, forwarded } = await observe(misconfiguredOrigin, () => rawRequest(misconfigured.port, method, path, headers));
    expectGenericError(response, 503, "unavailable");
    expect(setCookieLines(response)).toEqual([]);
    expect(forwarded).toEqual([]);
  });

  it("logs every configuration problem, naming the setting and never quoting the secret", async () => {
    const log = await outputContaining(misconfigured, "config.invalid");
    expect(log).toMatch(/ROUTES[^\n]*JSON/);
    expect(log).toMatch(/SESSION_SECRET[^\n]*32/);
    expect(misconfiguredOrigin.received).toEqual([]);
  });
});
