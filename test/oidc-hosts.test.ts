/**
 * OIDC logins when the gateway serves several hostnames (auth/oidc/callback-host.ts): with
 * COOKIE_DOMAIN one callback host, then back to the host the user came from and never to a host
 * that is not configured; without it, a callback per host that a rule names. Against the fake
 * provider, through the Worker's fetch handler.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import type { Env } from "../src/env";
import { CookieJar, fakeCode, fakeSettings, type Settings } from "./oidc/helpers";

const HOST_ROUTES = [
  { host: "gateway.test", path: "/*", access: "session" },
  { host: "app.gateway.test", path: "/*", access: "session" },
];

async function fetchAt(settings: Settings, jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (jar.header() && !headers.has("cookie")) headers.set("cookie", jar.header());
  if (!headers.has("accept")) headers.set("accept", "text/html");
  const ctx = createExecutionContext();
  const bindings = { ...(env as unknown as Env), ...settings } as Env;
  const response = await worker.fetch!(new Request(url, { redirect: "manual", ...init, headers }) as Request<unknown, IncomingRequestCfProperties>, bindings, ctx);
  await waitOnExecutionContext(ctx);
  jar.store(response);
  return response;
}

function location(response: Response): URL {
  expect(response.status, "a redirect").toBeGreaterThanOrEqual(300);
  return new URL(response.headers.get("location")!, "https://relative.invalid");
}

describe("one session across subdomains: one callback host", () => {
  const settings = fakeSettings({ COOKIE_DOMAIN: "gateway.test", COOKIE_NAME: "", ROUTES: JSON.stringify(HOST_ROUTES) });

  it("sends a login from another host to the callback host, and the user back to where they were, signed in on both", async () => {
    const appJar = new CookieJar();
    const first = location(await fetchAt(settings, appJar, "https://app.gateway.test/_gateway/login?return_to=%2Freports%3Fq%3D1"));
    expect(first.origin).toBe("https://gateway.test");
    expect(first.pathname).toBe("/_gateway/login");
    expect(first.searchParams.get("return_to")).toBe("https://app.gateway.test/reports?q=1");
    expect(appJar.get("__Host-gateway-login"), "no transaction on the host that cannot receive the callback").toBeUndefined();

    const callbackJar = new CookieJar();
    const start = await fetchAt(settings, callbackJar, first.href);
    const authorization = location(start);
    expect(authorization.searchParams.get("redirect_uri")).toBe("https://gateway.test/_gateway/callback");
    const code = fakeCode({ response: start, authorizationUrl: authorization, state: authorization.searchParams.get("state")!, nonce: authorization.searchParams.get("nonce")! }, { scenario: "good", sub: `shared-${crypto.randomUUID()}` });
    const callback = await fetchAt(settings, callbackJar, `https://gateway.test/_gateway/callback?code=${code}&state=${authorization.searchParams.get("state")}`);
    expect(callback.status).toBe(303);
    expect(callback.headers.get("location")).toBe("https://app.gateway.test/reports?q=1");
    const sessionLine = callback.headers.getSetCookie().find((line) => line.startsWith("__Secure-session="))!;
    expect(sessionLine).toContain("; Domain=gateway.test;");

    const token = callbackJar.get("__Secure-session")!;
    for (const url of ["https://app.gateway.test/reports", "https://gateway.test/_gateway/session"]) {
      const response = await fetchAt(settings, new CookieJar(), url, { headers: { cookie: `__Secure-session=${token}`, accept: "application/json" } });
      expect(response.status, url).toBe(200);
    }
  });

  it.each([
    ["a host no rule names", "https://evil.gateway.test/x"],
    ["a host outside the domain", "https://app.gateway.test.evil.example/x"],
    ["another scheme", "http://app.gateway.test/x"],
    ["another port", "https://app.gateway.test:8443/x"],
    ["credentials", "https://user@app.gateway.test/x"],
    ["a scheme-relative URL", "//app.gateway.test/x"],
  ])("never sends the browser back to %s", async (_what, target) => {
    const jar = new CookieJar();
    const start = await fetchAt(settings, jar, `https://gateway.test/_gateway/login?return_to=${encodeURIComponent(target)}`);
    const authorization = location(start);
    const code = fakeCode({ response: start, authorizationUrl: authorization, state: authorization.searchParams.get("state")!, nonce: authorization.searchParams.get("nonce")! }, { scenario: "good", sub: `t-${crypto.randomUUID()}` });
    const callback = await fetchAt(settings, jar, `https://gateway.test/_gateway/callback?code=${code}&state=${authorization.searchParams.get("state")}`);
    expect(callback.status).toBe(303);
    expect(callback.headers.get("location")).toBe("/");
  });

  it("sends a login from a host no rule names to the callback host with a relative return_to", async () => {
    const jar = new CookieJar();
    const open = fakeSettings({ COOKIE_DOMAIN: "gateway.test", COOKIE_NAME: "", ROUTES: JSON.stringify([...HOST_ROUTES, { path: "/_status", access: "public" }]) });
    const first = location(await fetchAt(open, jar, "https://other.gateway.test/_gateway/login?return_to=%2Fx"));
    expect(first.origin).toBe("https://gateway.test");
    expect(first.searchParams.get("return_to")).toBe("/");
  });
});

describe("a session per host: a callback per named host", () => {
  const settings = fakeSettings({ ROUTES: JSON.stringify(HOST_ROUTES) });

  it("signs in on the host's own callback, which the token request names too", async () => {
    const jar = new CookieJar();
    const start = await fetchAt(settings, jar, "https://app.gateway.test/_gateway/login?return_to=%2Fx");
    const authorization = location(start);
    expect(authorization.searchParams.get("redirect_uri")).toBe("https://app.gateway.test/_gateway/callback");
    const code = fakeCode({ response: start, authorizationUrl: authorization, state: authorization.searchParams.get("state")!, nonce: authorization.searchParams.get("nonce")! }, { scenario: "good", sub: `own-${crypto.randomUUID()}` });
    // The transaction, carried to the configured callback host, is refused there: it was started for another callback.
    const elsewhere = await fetchAt(settings, new CookieJar(), `https://gateway.test/_gateway/callback?code=${code}&state=${authorization.searchParams.get("state")}`, {
      headers: { cookie: `__Host-gateway-login=${jar.get("__Host-gateway-login")}` },
    });
    expect(elsewhere.status).toBe(400);
    const callback = await fetchAt(settings, jar, `https://app.gateway.test/_gateway/callback?code=${code}&state=${authorization.searchParams.get("state")}`);
    expect(callback.status).toBe(303);
    expect(callback.headers.get("location")).toBe("/x");
    expect(jar.get("__Host-session")).toBeTruthy();
  });

  it("keeps OIDC_REDIRECT_URI for a host no rule names, never one built from its Host", async () => {
    const open = fakeSettings({ ROUTES: JSON.stringify([...HOST_ROUTES, { path: "/*", access: "public" }]) });
    const authorization = location(await fetchAt(open, new CookieJar(), "https://unlisted.example.net/_gateway/login"));
    expect(authorization.searchParams.get("redirect_uri")).toBe("https://gateway.test/_gateway/callback");
  });
});
