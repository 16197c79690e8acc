/**
 * The gateway's own pages (docs/design.md "Gateway pages in a browser"): every error a page for
 * a navigation and JSON otherwise with the same status; one template with a strict CSP and the
 * brand; the sign-out, signed-out and sessions pages and their forms.
 */
import { describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { describeUserAgent } from "../src/pages/user-agent";
import { COOKIE_NAME, fetchWithSession, gatewayFetch, gatewayFetchWith, login, UNREACHABLE_ORIGIN, uniqueUser } from "./helpers";

const NAVIGATION = { "sec-fetch-mode": "navigate", "sec-fetch-site": "none", accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8" };
const SAME_ORIGIN_FORM = { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin", "sec-fetch-mode": "navigate", origin: "https://gateway.test" };
const idOf = (token: string) => token.split(".")[0]!;

function expectPage(response: Response) {
  expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
  const csp = response.headers.get("content-security-policy")!;
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).toContain("form-action 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain("unsafe-inline");
  expect(csp).not.toContain("script-src");
  expect(response.headers.get("cache-control")).toBe("no-store");
}

describe("errors as pages for a browser, JSON otherwise", () => {
  it.each([
    ["400, a refused path", "/x%00y", {}, 400, "bad_request", "Bad request"],
    ["403, a missing role", "/admin", { role: "user" }, 403, "forbidden", "Access denied"],
    ["404, an unknown gateway path", "/_gateway/nothing-here", {}, 404, "not_found", "Not found"],
  ] as const)("%s", async (_, path, who, status, code, title) => {
    const token = "role" in who ? (await login(uniqueUser({ roles: [who.role] }))).token : null;
    const send = (headers: Record<string, string>) => (token ? fetchWithSession(token, path, { headers }) : gatewayFetch(path, { headers }));
    const page = await send(NAVIGATION);
    expect(page.status).toBe(status);
    expectPage(page);
    const html = await page.text();
    expect(html).toContain(`<h1>${title}</h1>`);
    expect(html).not.toContain("<script");
    const json = await send({ accept: "application/json" });
    expect(json.status).toBe(status);
    expect(await json.json()).toEqual({ error: code });
  });

  it("offers 'sign in as someone else' (the provider's account choice) on a 403 page", async () => {
    const { token } = await login(uniqueUser({ roles: ["user"] }));
    const html = await (await fetchWithSession(token, "/admin", { headers: NAVIGATION })).text();
    expect(html).toContain('href="/_gateway/login?prompt=select_account"');
  });

  it("answers 502 and 503 as pages too", async () => {
    const down = await gatewayFetchWith({ ORIGIN: UNREACHABLE_ORIGIN }, "/public/x", { headers: NAVIGATION });
    expect(down.status).toBe(502);
    expectPage(down);
    const invalid = await gatewayFetchWith({ SESSION_SECRET: "short" } as Partial<Env>, "/public/x", { headers: NAVIGATION });
    expect(invalid.status).toBe(503);
    expect(await invalid.text()).toContain("Temporarily unavailable");
  });

  it("answers GET /_gateway/logout from a script with 405 JSON, as before", async () => {
    const response = await gatewayFetch("/_gateway/logout", { method: "GET", headers: { accept: "application/json" } });
    expect(response.status).toBe(405);
    expect(await response.json()).toEqual({ error: "method_not_allowed" });
  });
});

describe("the template", () => {
  it("links the served stylesheet, which has a dark scheme and the brand color, and costs no session", async () => {
    const css = await gatewayFetchWith({ BRAND_COLOR: "#0A7C3E" } as Partial<Env>, "/_gateway/assets/gateway.css", { headers: { cookie: `${COOKIE_NAME}=garbage` } });
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    const text = await css.text();
    expect(text).toContain("prefers-color-scheme:dark");
    expect(text).toContain("--accent:#0a7c3e");
  });

  it("shows the brand name, escaped, and admits the logo's origin in the CSP", async () => {
    const response = await gatewayFetchWith(
      { BRAND_NAME: 'Acme <script>alert("x")</script>', BRAND_LOGO_URL: "https://cdn.example.com/logo.svg" } as Partial<Env>,
      "/_gateway/signed-out",
      { headers: NAVIGATION },
    );
    const html = await response.text();
    expect(html).toContain("Acme &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).not.toContain("<script>");
    expect(html).toContain('<img src="https://cdn.example.com/logo.svg" alt="">');
    expect(response.headers.get("content-security-policy")).toContain("img-src 'self' https://cdn.example.com;");
  });

  it.each([
    ["BRAND_COLOR", "blue", "BRAND_COLOR must be #rrggbb"],
    ["BRAND_LOGO_URL", "http://cdn.example.com/logo.svg", "BRAND_LOGO_URL must be an https URL"],
    ["BRAND_LOGO_URL", "//evil.test/logo.svg", "BRAND_LOGO_URL must be an https URL"],
    ["BRAND_NAME", "", "BRAND_NAME must be 1 to 60 printable characters"],
  ])("refuses %s = %j as a configuration error", async (name, value, problem) => {
    const logged: string[] = [];
    const original = console.error;
    console.error = (line: string) => logged.push(line);
    try {
      const response = await gatewayFetchWith({ [name]: value } as Partial<Env>, "/public/x");
      expect(response.status).toBe(503);
    } finally {
      console.error = original;
    }
    expect(logged.join("\n")).toContain(problem);
  });
});

describe("signing out from a page", () => {
  it("GET /_gateway/logout is a page with a sign-out form that posts to the gateway", async () => {
    const { token } = await login(uniqueUser({ email: "robin@example.com" }));
    const response = await fetchWithSession(token, "/_gateway/logout", { headers: NAVIGATION });
    expect(response.status).toBe(200);
    expectPage(response);
    const html = await response.text();
    expect(html).toContain('<form method="post" action="/_gateway/logout">');
    expect(html).toContain("robin@example.com");
    // Looking at the page signs nobody out.
    expect((await fetchWithSession(token, "/anything")).status).toBe(200);
  });

  it("says so when there is no session to end", async () => {
    const html = await (await gatewayFetch("/_gateway/logout", { headers: NAVIGATION })).text();
    expect(html).toContain("You are not signed in");
  });

  it("the signed-out page offers to sign in again, or as someone else", async () => {
    const response = await gatewayFetch("/_gateway/signed-out", { headers: NAVIGATION });
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('href="/_gateway/login"');
    expect(html).toContain('href="/_gateway/login?prompt=select_account"');
  });
});

describe("the sessions page", () => {
  it("lists the user's sessions with device, address, country and times, this device first", async () => {
    const user = uniqueUser();
    await login(user);
    const laptop = await gatewayFetch("/login", {
      method: "POST",
      headers: {
        "x-echo-respond": JSON.stringify({ "X-Gateway-Login": JSON.stringify(user) }),
        "user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
        "cf-connecting-ip": "203.0.113.7",
      },
      cf: { country: "DE" },
    } as RequestInit);
    const token = laptop.headers.getSetCookie()[0]!.split(";")[0]!.split("=")[1]!;
    const response = await fetchWithSession(token, "/_gateway/sessions", { headers: NAVIGATION });
    expect(response.status).toBe(200);
    expectPage(response);
    const html = await response.text();
    expect(html).toContain("2 sessions");
    expect(html).toContain("Chrome on macOS");
    expect(html).toContain("203.0.113.7, DE");
    expect(html).toMatch(/<span class="tag">this device<\/span>/);
    expect(html.indexOf("this device")).toBeLessThan(html.indexOf("Unknown"));
    expect(html).toContain(`action="/_gateway/sessions/${idOf(token)}/end"`);
    expect(html).toContain('action="/_gateway/sessions/end-others"');
    expect(html).toContain('action="/_gateway/sessions/end-all"');
    // The JSON API is unchanged for anything but a navigation.
    const json = await (await fetchWithSession(token, "/_gateway/sessions")).json<{ current: string; sessions: unknown[] }>();
    expect(json.current).toBe(idOf(token));
    expect(json.sessions).toHaveLength(2);
  });

  it("ends another session from its form, and comes back to the page", async () => {
    const user = uniqueUser();
    const other = (await login(user)).token;
    const mine = (await login(user)).token;
    const response = await fetchWithSession(mine, `/_gateway/sessions/${idOf(other)}/end`, { method: "POST", headers: SAME_ORIGIN_FORM });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/_gateway/sessions");
    expect((await fetchWithSession(other, "/anything")).status).toBe(401);
    expect((await fetchWithSession(mine, "/anything")).status).toBe(200);
  });

  it("ends all other sessions and keeps this one", async () => {
    const user = uniqueUser();
    const first = (await login(user)).token;
    const second = (await login(user)).token;
    const mine = (await login(user)).token;
    const response = await fetchWithSession(mine, "/_gateway/sessions/end-others", { method: "POST", headers: SAME_ORIGIN_FORM });
    expect(response.status).toBe(303);
    expect(response.headers.getSetCookie()).toEqual([]);
    for (const token of [first, second]) expect((await fetchWithSession(token, "/anything")).status).toBe(401);
    expect((await fetchWithSession(mine, "/anything")).status).toBe(200);
  });

  it("ends all, this one too, and signs this browser out", async () => {
    const user = uniqueUser();
    const other = (await login(user)).token;
    const mine = (await login(user)).token;
    const response = await fetchWithSession(mine, "/_gateway/sessions/end-all", { method: "POST", headers: SAME_ORIGIN_FORM });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/_gateway/signed-out");
    expect(response.headers.getSetCookie()[0]).toMatch(new RegExp(`^${COOKIE_NAME}=; Max-Age=0`));
    for (const token of [other, mine]) expect((await fetchWithSession(token, "/anything")).status).toBe(401);
  });

  it("refuses a cross-site post of any of its forms, and ends nothing", async () => {
    const user = uniqueUser();
    const other = (await login(user)).token;
    const mine = (await login(user)).token;
    for (const path of [`/_gateway/sessions/${idOf(other)}/end`, "/_gateway/sessions/end-others", "/_gateway/sessions/end-all"]) {
      const response = await fetchWithSession(mine, path, { method: "POST", headers: { ...SAME_ORIGIN_FORM, "sec-fetch-site": "cross-site", origin: "https://evil.test" } });
      expect(response.status, path).toBe(403);
    }
    for (const token of [other, mine]) expect((await fetchWithSession(token, "/anything")).status).toBe(200);
  });

  it("cannot end another user's session from a form (404, nothing ended)", async () => {
    const victim = (await login(uniqueUser())).token;
    const mine = (await login(uniqueUser())).token;
    const response = await fetchWithSession(mine, `/_gateway/sessions/${idOf(victim)}/end`, { method: "POST", headers: SAME_ORIGIN_FORM });
    expect(response.status).toBe(404);
    expect((await fetchWithSession(victim, "/anything")).status).toBe(200);
  });
});

describe("the device a User-Agent names", () => {
  it.each([
    ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"],
    ["Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36", "Chrome on Linux"],
    ["Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on macOS"],
    ["Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1", "Safari on iOS"],
    ["Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36", "Chrome on Android"],
    ["curl/8.5.0", "curl"],
    ["something else", "Unknown browser"],
    [undefined, "Unknown device"],
  ])("%s ⇒ %s", (userAgent, expected) => {
    expect(describeUserAgent(userAgent)).toBe(expected);
  });
});
