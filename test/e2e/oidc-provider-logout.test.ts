/**
 * A real provider (`oidc-provider`) with a gateway under `wrangler dev` on a loopback port, so
 * that the provider can reach it: a silent sign-in on the provider's own session is no fresh
 * login (R1), and back-channel logout (checklist T-04). A user signs in
 * through the provider; when the user's session at the provider ends (here: the user signs out
 * at the provider directly, as from another application), the provider posts a logout token
 * to the gateway and the gateway's session ends with it — and only that browser's session.
 */
import { beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { OIDC_CLIENT, oidcProvider, type RemoteOrigin, type SharedGateway, useGateway } from "./gateways";
import { COOKIE_NAME, outputContaining } from "./helpers";

const CLIENT_ID = OIDC_CLIENT.id;

// The provider and the gateway (in OIDC mode, its client registered at the provider) are
// started by test/e2e/global-setup.ts.
const provider = oidcProvider();
let origin: RemoteOrigin;
let gateway: SharedGateway;
let gatewayUrl: string;

beforeAll(async () => {
  ({ gateway, origin } = await useGateway("oidc"));
  gatewayUrl = gateway.url;
});

/** One browser: a cookie jar per host (the gateway and the provider are both 127.0.0.1, other ports). */
class Browser {
  readonly #jars = new Map<string, Map<string, string>>();

  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const jar = this.#jar(target);
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set("cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
    const response = await fetch(target, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";", 1);
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === "" || /max-age=0/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  }

  cookie(url: string, name: string): string | undefined {
    return this.#jar(new URL(url)).get(name);
  }

  #jar(url: URL): Map<string, string> {
    let jar = this.#jars.get(url.host);
    if (!jar) this.#jars.set(url.host, (jar = new Map()));
    return jar;
  }

  /** Follows redirects and fills the provider's devInteractions forms until a page without one. */
  async navigate(start: string | URL, login: string): Promise<Response> {
    let url = new URL(start);
    for (let step = 0; step < 15; step++) {
      const response = await this.fetch(url);
      if (response.status >= 300 && response.status < 400) {
        url = new URL(response.headers.get("location")!, url);
        continue;
      }
      if (!url.pathname.startsWith("/interaction/")) return response;
      const page = await response.text();
      const body = page.includes('name="login"') ? `prompt=login&login=${login}&password=any` : "prompt=consent";
      const submitted = await this.fetch(url, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" } });
      url = new URL(submitted.headers.get("location")!, url);
    }
    throw new Error("too many redirects");
  }

  /** Signs out at the provider itself (its end_session endpoint and confirmation form). */
  async signOutAtProvider(): Promise<Response> {
    const page = await (await this.fetch(`${provider.issuer}/session/end?client_id=${CLIENT_ID}`)).text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)![1]!;
    const action = /action="([^"]+)"/.exec(page)![1]!;
    return this.fetch(new URL(action, provider.issuer), {
      method: "POST",
      body: `xsrf=${encodeURIComponent(xsrf)}&logout=yes`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
  }
}

async function signedInBrowser(login: string): Promise<Browser> {
  const browser = new Browser();
  const landing = await browser.navigate(`${gatewayUrl}/_gateway/login?return_to=/welcome`, login);
  expect(landing.status).toBe(200);
  expect(((await landing.json()) as { rawPath: string }).rawPath).toBe("/welcome");
  return browser;
}

describe("back-channel logout from a real provider", () => {
  it("signs in through the provider, and the origin sees the user", async () => {
    const browser = await signedInBrowser("e2e-alice");
    expect(browser.cookie(gatewayUrl, COOKIE_NAME)).toMatch(/^[\w-]{22}\.[\w-]{22}\.[\w-]{43}$/);
    const before = await origin.mark();
    const echoed = await browser.fetch(`${gatewayUrl}/hello`);
    expect(echoed.status).toBe(200);
    const [seen] = await origin.since(before);
    expect(seen!.headers["x-auth-user"]).toBe("e2e-alice");
    expect(seen!.headers["x-auth-email"]).toBe("e2e-alice@example.com");
  });

  it("ends the gateway session when the user's provider session ends, and only that browser's", async () => {
    const leaving = await signedInBrowser("e2e-bob");
    const staying = await signedInBrowser("e2e-bob");
    expect((await leaving.fetch(`${gatewayUrl}/hello`)).status).toBe(200);
    expect((await staying.fetch(`${gatewayUrl}/hello`)).status).toBe(200);

    const done = await leaving.signOutAtProvider();
    expect(done.status).toBe(303);
    // The provider has posted the logout token before it answers.
    expect(provider.events()).toContain("backchannel.success");
    await outputContaining(gateway, /"event":"logout\.backchannel","by":"sid","sub":"e2e-bob","revoked":1/);

    expect((await leaving.fetch(`${gatewayUrl}/hello`)).status).toBe(401);
    expect((await staying.fetch(`${gatewayUrl}/hello`)).status).toBe(200);
  });

  it("closes the user's open WebSocket with 1008 when the provider's back-channel logout ends the session", async () => {
    const browser = await signedInBrowser("e2e-dave");
    const ws = new WebSocket(`${gatewayUrl.replace("http", "ws")}/ws`, { headers: { cookie: `${COOKIE_NAME}=${browser.cookie(gatewayUrl, COOKIE_NAME)}` } });
    const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })));
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const echoed = new Promise<string>((resolve) => ws.once("message", (data: Buffer) => resolve(data.toString())));
    ws.send("hello");
    expect(await echoed).toBe("hello");

    expect((await browser.signOutAtProvider()).status).toBe(303);
    const endedAt = Date.now();
    expect(provider.events()).toContain("backchannel.success");
    const { code, reason, at } = await closed;
    expect({ code, reason }).toEqual({ code: 1008, reason: "session ended" });
    expect(at - endedAt).toBeLessThan(1000);
  });

  it("logs out at the gateway and then at the provider (RP-initiated), back to the site", async () => {
    const browser = await signedInBrowser("e2e-carol");
    const logout = await browser.fetch(`${gatewayUrl}/_gateway/logout`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: gatewayUrl },
    });
    // A gateway page that moves on to the provider by a meta refresh (not a redirect, which an
    // app page's `form-action 'self'` would block: test/e2e/browser.test.ts).
    expect(logout.status).toBe(200);
    const refresh = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(await logout.text())![1]!;
    const endSession = new URL(refresh.replaceAll("&amp;", "&"));
    expect(endSession.href.startsWith(`${provider.issuer}/session/end?`)).toBe(true);
    expect(endSession.searchParams.get("id_token_hint")).toBeTruthy();
    expect((await browser.fetch(`${gatewayUrl}/hello`)).status).toBe(401);

    const page = await (await browser.fetch(endSession)).text();
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)![1]!;
    const action = /action="([^"]+)"/.exec(page)![1]!;
    const back = await browser.fetch(new URL(action, provider.issuer), {
      method: "POST",
      body: `xsrf=${encodeURIComponent(xsrf)}&logout=yes`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(back.status).toBe(303);
    expect(back.headers.get("location")).toBe(`${gatewayUrl}/`);
  });
});

describe("a silent sign-in at a real provider (R1)", () => {
  /**
   * Follows redirects from `start`, filling the provider's forms (the prompts shown go to
   * `prompts`), and stops at the first answer from the gateway that is not `/_gateway/…`.
   */
  async function untilOrigin(browser: Browser, start: string | URL, login: string, prompts: string[]): Promise<{ url: URL; response: Response }> {
    let url = new URL(start);
    for (let step = 0; step < 15; step++) {
      // A browser's navigation: it asks for HTML.
      const response = await browser.fetch(url, { headers: { accept: "text/html" } });
      if (url.origin === gatewayUrl && !url.pathname.startsWith("/_gateway/")) return { url, response };
      if (response.status >= 300 && response.status < 400) {
        url = new URL(response.headers.get("location")!, url);
        continue;
      }
      const page = await response.text();
      if (!url.pathname.startsWith("/interaction/")) throw new Error(`stopped at ${url.pathname} (${response.status}): ${page.slice(0, 200)}`);
      const prompt = page.includes('name="login"') ? "login" : "consent";
      prompts.push(prompt);
      const body = prompt === "login" ? `prompt=login&login=${login}&password=any` : "prompt=consent";
      const submitted = await browser.fetch(url, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" } });
      url = new URL(submitted.headers.get("location")!, url);
    }
    throw new Error("too many redirects");
  }

  it("a login started without max_age on a live provider session does not satisfy maxAuthAgeSeconds", async () => {
    const browser = await signedInBrowser("e2e-erin");

    // Started by hand without max_age: the provider signs the browser in without a prompt.
    const prompts: string[] = [];
    const silent = await untilOrigin(browser, `${gatewayUrl}/_gateway/login?return_to=/fresh`, "e2e-erin", prompts);
    expect(prompts).not.toContain("login");
    // The new session does not pass for a fresh login: the rule asks for one with max_age.
    expect(silent.url.pathname).toBe("/fresh");
    expect(silent.response.status).toBe(302);
    expect(silent.response.headers.get("location")).toBe(`/_gateway/login?return_to=${encodeURIComponent("/fresh")}&max_age=3600`);
    const session = (await (await browser.fetch(`${gatewayUrl}/_gateway/session`)).json()) as { authenticatedAt: string | null };
    expect(session.authenticatedAt).toBeNull();

    // That login brings the provider's auth_time (max_age makes it required), and the rule passes.
    const fresh = await untilOrigin(browser, new URL(silent.response.headers.get("location")!, gatewayUrl), "e2e-erin", prompts);
    expect(fresh.response.status).toBe(200);
    expect(((await fresh.response.json()) as { rawPath: string }).rawPath).toBe("/fresh");
    const renewed = (await (await browser.fetch(`${gatewayUrl}/_gateway/session`)).json()) as { authenticatedAt: string | null };
    expect(renewed.authenticatedAt).not.toBeNull();
  });
});
