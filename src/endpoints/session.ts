/**
 * The gateway's own user-facing endpoints under /_gateway (DESIGN.md "Gateway endpoints"):
 * login redirect, logout, the caller's session as JSON, and the caller's other sessions. In OIDC mode login goes to the
 * provider (src/oidc/login.ts) and logout continues at the provider (src/oidc/rp-logout.ts).
 */
import { Hono } from "hono";
import { errorResponse, gatewayHeaders, jsonResponse } from "../http/responses";
import { logEvent, logWarning } from "../log";
import { CLEAR_SITE_DATA, clearedSessionSetCookie } from "../http/cookies";
import { startOidcLogin } from "../auth/oidc/login";
import { providerLogoutUrl } from "../auth/oidc/rp-logout";
import { logoutSession } from "../session/store";
import { isCrossSite } from "../http/csrf";
import { mySessions } from "./my-sessions";
import { unauthenticated } from "../pipeline/decide";
import { safeReturnTo } from "../http/return-to";
import type { GatewayEnv } from "../pipeline/types";

export const endpoints = new Hono<GatewayEnv>();

endpoints.route("/sessions", mySessions);

endpoints.get("/login", function loginRedirect(c) {
  const { oidc } = c.var.config;
  if (oidc) return startOidcLogin(c, oidc);
  const returnTo = safeReturnTo(c.req.query("return_to"));
  const location = `${c.var.config.loginUrl}?return_to=${encodeURIComponent(returnTo)}`;
  return new Response(null, { status: 302, headers: gatewayHeaders({ Location: location }) });
});

endpoints.post("/logout", async function logout(c) {
  if (isCrossSite(c.req.raw)) {
    logWarning("logout.cross_site_refused", { session: c.var.presentedPublicIds[0] ?? null, origin: c.req.header("origin") ?? null });
    return errorResponse("forbidden");
  }
  // Every session cookie that verifies is ended, so a second cookie planted beside the real
  // one cannot make a logout revoke nothing (SECURITY.md X-02).
  const publicIds = c.var.presentedPublicIds;
  const ended = await Promise.all(publicIds.map((publicId) => logoutSession(c.env, publicId)));
  const idTokenHint = ended.find((result) => result.idTokenHint)?.idTokenHint ?? null;
  logEvent("logout", { session: publicIds[0] ?? null, ...(publicIds.length > 1 ? { also: publicIds.slice(1) } : {}), by: "user" });
  const headers = gatewayHeaders({
    "Set-Cookie": clearedSessionSetCookie(c.var.config.cookieName),
    "Clear-Site-Data": CLEAR_SITE_DATA,
  });
  const { oidc } = c.var.config;
  const form = isFormSubmission(c.req.raw);
  // A script gets the provider's logout URL without the ID token, which it has no need to read.
  const providerLogout = oidc ? await providerLogoutUrl(oidc, form ? idTokenHint : null) : null;
  if (!form) {
    if (providerLogout) headers.set("X-Idp-Logout-Url", providerLogout);
    return new Response(null, { status: 204, headers });
  }
  headers.set("Location", providerLogout ?? "/");
  headers.set("Referrer-Policy", "no-referrer");
  return new Response(null, { status: 303, headers });
});

endpoints.all("/logout", () => errorResponse("method_not_allowed", { Allow: "POST" }));

endpoints.get("/session", function currentSession(c) {
  const { session } = c.var;
  if (!session) return unauthenticated(c);
  return jsonResponse(session);
});

/** An HTML form post (navigation) gets a redirect; fetch() and curl get 204. */
function isFormSubmission(request: Request): boolean {
  if (request.headers.get("sec-fetch-mode") === "navigate") return true;
  const type = request.headers.get("content-type") ?? "";
  return type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data");
}
