/**
 * The gateway's own user-facing endpoints under /_gateway (docs/design.md "Gateway endpoints"):
 * login, logout, and the caller's session as JSON. Where a login starts and where a logout
 * continues is the login method's (auth/method.ts).
 */
import { Hono } from "hono";
import type { LoginMethod } from "../auth/method";
import { markSignedOut, type SessionCookieSpec } from "../http/cookies";
import { isCrossSite } from "../http/csrf";
import { errorResponse, GatewayError, gatewayHeaders, jsonResponse, wantsHtmlNavigation } from "../http/responses";
import type { Brand } from "../pages/brand";
import { providerSignOutPage, SIGNED_OUT_PATH, signedOutPage, signOutPage } from "../pages/session-pages";
import { safeReturnTo } from "../http/return-to";
import { logWarning } from "../log";
import { unauthenticated } from "../answers/render";
import type { GatewayEnv } from "../pipeline/types";
import { logoutSessions } from "../session/store";
import { liveSession, presentedPublicIds } from "../credentials/credential";

export interface SessionEndpointsOptions {
  readonly login: LoginMethod;
  /** COOKIE_NAME and COOKIE_DOMAIN. */
  readonly sessionCookie: SessionCookieSpec;
  readonly brand: Brand;
}

export function sessionEndpoints({ login, sessionCookie, brand }: SessionEndpointsOptions): Hono<GatewayEnv> {
  const endpoints = new Hono<GatewayEnv>();

  endpoints.get("/login", function startLogin(c) {
    return login.startLogin(c, safeReturnTo(c.req.query("return_to"), login.acceptsReturnUrl), maxAgeParam(c.req.query("max_age")));
  });

  endpoints.post("/logout", async function logout(c) {
    if (isCrossSite(c.req.raw)) {
      logWarning("logout.cross_site_refused", { session: presentedPublicIds(c.get("credential"))[0] ?? null, origin: c.req.header("origin") ?? null });
      return errorResponse("forbidden");
    }
    // Every session cookie that verifies is ended, so a second cookie planted beside the real
    // one cannot make a logout revoke nothing (SECURITY.md X-02).
    const logoutHint = await logoutSessions(c.env, presentedPublicIds(c.get("credential")), "user");
    const headers = gatewayHeaders();
    markSignedOut(headers, sessionCookie);
    const form = isFormSubmission(c.req.raw);
    // A script gets the provider's logout URL without the hint (the ID token), which it has no need to read.
    const next = await login.continueLogout(form ? logoutHint : null);
    if (!form) {
      if (next) headers.set("X-Idp-Logout-Url", next);
      return new Response(null, { status: 204, headers });
    }
    // The provider's sign-out is reached from a page of the gateway's, not by a redirect that
    // the signing-out page's `form-action 'self'` would block (pages/session-pages.ts).
    if (next) return providerSignOutPage(brand, next, headers);
    headers.set("Location", SIGNED_OUT_PATH);
    headers.set("Referrer-Policy", "no-referrer");
    return new Response(null, { status: 303, headers });
  });

  // A page with the sign-out button, so that a plain link can sign out.
  endpoints.get("/logout", (c) => (wantsHtmlNavigation(c.req.raw) ? signOutPage(brand, liveSession(c.get("credential"))) : logoutIsAPost()));
  endpoints.all("/logout", logoutIsAPost);
  endpoints.get("/signed-out", () => signedOutPage(brand));

  endpoints.get("/session", function currentSession(c) {
    const session = liveSession(c.get("credential"));
    if (!session) return unauthenticated(c, sessionCookie);
    return jsonResponse(session);
  });

  return endpoints;
}

function logoutIsAPost(): never {
  throw new GatewayError("method_not_allowed", "a logout is a POST", { headers: { Allow: "POST" } });
}

/** `max_age` (decide.ts puts it there for a rule's maxAuthAgeSeconds): whole seconds, else ignored. */
function maxAgeParam(value: string | undefined): number | null {
  return value !== undefined && /^[1-9]\d{0,8}$/.test(value) ? Number(value) : null;
}

/** An HTML form post (navigation) gets a redirect; fetch() and curl get 204. */
function isFormSubmission(request: Request): boolean {
  if (request.headers.get("sec-fetch-mode") === "navigate") return true;
  const type = request.headers.get("content-type") ?? "";
  return type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data");
}
