/**
 * Delegated logins that arrive from another site by design (SECURITY.md R13): a magic link
 * opened from a mail client, the origin's own OAuth callback (a redirect from the provider) or
 * SAML assertion consumer (a form the provider posts). On a LOGIN_CALLBACK_ROUTES path such a
 * top-level navigation may log in, the origin having checked its own one-time code or state;
 * any other cross-site request there, and every cross-site login elsewhere, is refused.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { asciiJson, gatewayFetchIn, sessionTokenFrom, uniqueUser } from "./helpers";

const bindings: Env = {
  ...(env as unknown as Env),
  LOGIN_CALLBACK_ROUTES: JSON.stringify(["/auth/magic", "/auth/oauth/callback", "/saml/acs"]),
  ROUTES: JSON.stringify([
    { path: "/login", access: "public" },
    { path: "/auth/*", access: "public" },
    { path: "/saml/*", access: "public" },
  ]),
};

/** What a browser sends with a top-level navigation that started on another site. */
const CROSS_SITE_NAVIGATION = { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate", "sec-fetch-dest": "document", "sec-fetch-user": "?1" };

/** A request the origin answers with `X-Gateway-Login` for a new user. */
function originLogin(path: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const respond = JSON.stringify({ "X-Gateway-Login": asciiJson(uniqueUser()) });
  return gatewayFetchIn(bindings, path, { method: init.method ?? "GET", headers: { ...init.headers, "x-echo-respond": respond } });
}

describe("a login route marked as a callback (LOGIN_CALLBACK_ROUTES)", () => {
  it("signs in from a magic link: a cross-site GET navigation", async () => {
    const response = await originLogin("/auth/magic?code=one-time", { headers: CROSS_SITE_NAVIGATION });
    expect(response.status).toBe(200);
    expect(sessionTokenFrom(response)).not.toBeNull();
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("signs in from the origin's own OAuth callback: a cross-site navigation that a redirect continued", async () => {
    const { "sec-fetch-user": _, ...redirected } = CROSS_SITE_NAVIGATION;
    const response = await originLogin("/auth/oauth/callback?code=c&state=s", { headers: redirected });
    expect(response.status).toBe(200);
    expect(sessionTokenFrom(response)).not.toBeNull();
  });

  it("signs in from a SAML POST binding: a form the provider's page posts cross-site", async () => {
    const response = await originLogin("/saml/acs", { method: "POST", headers: { ...CROSS_SITE_NAVIGATION, origin: "https://idp.example", "content-type": "application/x-www-form-urlencoded" } });
    expect(response.status).toBe(200);
    expect(sessionTokenFrom(response)).not.toBeNull();
  });

  it("is a login route without being listed in LOGIN_ROUTES", async () => {
    const response = await originLogin("/auth/magic?code=one-time", { headers: { "sec-fetch-site": "same-origin" } });
    expect(response.status).toBe(200);
    expect(sessionTokenFrom(response)).not.toBeNull();
  });

  it.each<[string, { method?: string; headers: Record<string, string> }]>([
    ["a script's fetch", { headers: { ...CROSS_SITE_NAVIGATION, "sec-fetch-mode": "cors", "sec-fetch-dest": "empty" } }],
    ["a no-cors fetch (an image, a form-like fetch)", { method: "POST", headers: { ...CROSS_SITE_NAVIGATION, "sec-fetch-mode": "no-cors", "sec-fetch-dest": "empty" } }],
    ["a navigation inside a frame", { headers: { ...CROSS_SITE_NAVIGATION, "sec-fetch-dest": "iframe" } }],
    ["a navigation with another method", { method: "PUT", headers: CROSS_SITE_NAVIGATION }],
    ["a foreign Origin without Fetch Metadata", { method: "POST", headers: { origin: "https://evil.example" } }],
    ["Sec-Fetch-Site without Sec-Fetch-Mode", { headers: { "sec-fetch-site": "cross-site" } }],
  ])("refuses a cross-site login there that is not a top-level navigation: %s", async (_, init) => {
    const response = await originLogin("/auth/magic?code=one-time", init);
    expect(response.status).toBe(403);
    expect(sessionTokenFrom(response)).toBeNull();
  });

  it("leaves unmarked login routes refusing a cross-site navigation (X-10)", async () => {
    for (const method of ["GET", "POST"]) {
      const response = await originLogin("/login", { method, headers: CROSS_SITE_NAVIGATION });
      expect(response.status).toBe(403);
      expect(sessionTokenFrom(response)).toBeNull();
    }
  });

  it("ignores X-Gateway-Login on a path that is neither a login nor a callback route", async () => {
    const response = await originLogin("/auth/other", { headers: CROSS_SITE_NAVIGATION });
    expect(response.status).toBe(200);
    expect(sessionTokenFrom(response)).toBeNull();
  });
});
