/**
 * The gateway's own user-facing endpoints under /_gateway (DESIGN.md "Gateway endpoints"):
 * login redirect, logout, and the caller's session as JSON.
 */
import { Hono } from "hono";
import { errorResponse, gatewayHeaders, jsonResponse } from "../errors";
import { logEvent, logWarning } from "../log";
import { clearedSessionSetCookie } from "../session/cookie";
import { revokeSession } from "../session/store";
import { isCrossSite } from "./csrf";
import { unauthenticated } from "./require-access";
import { safeReturnTo } from "./return-to";
import type { GatewayEnv } from "./types";

export const endpoints = new Hono<GatewayEnv>();

endpoints.get("/login", function loginRedirect(c) {
  const returnTo = safeReturnTo(c.req.query("return_to"));
  const location = `${c.var.config.loginUrl}?return_to=${encodeURIComponent(returnTo)}`;
  return new Response(null, { status: 302, headers: gatewayHeaders({ Location: location }) });
});

endpoints.post("/logout", async function logout(c) {
  if (isCrossSite(c.req.raw)) {
    logWarning("logout.cross_site_refused", { session: c.var.presentedPublicId, origin: c.req.header("origin") ?? null });
    return errorResponse("forbidden");
  }
  const publicId = c.var.session?.id ?? c.var.presentedPublicId;
  if (publicId) await revokeSession(c.env, publicId, "logout");
  logEvent("logout", { session: publicId, by: "user" });
  const headers = gatewayHeaders({
    "Set-Cookie": clearedSessionSetCookie(c.var.config.cookieName),
    // Not "cookies": that would clear every cookie of the site (SECURITY-CHECKLIST T-02).
    "Clear-Site-Data": '"cache", "storage"',
  });
  if (!isFormSubmission(c.req.raw)) return new Response(null, { status: 204, headers });
  headers.set("Location", "/");
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
