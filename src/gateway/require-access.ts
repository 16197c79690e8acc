/**
 * Enforces the route policy for the canonical path: public passes; otherwise no session ⇒
 * 302 to the login endpoint (a browser asking for HTML with GET/HEAD) or 401 JSON; a session
 * without any of the rule's roles ⇒ 403.
 */
import type { Context, MiddlewareHandler } from "hono";
import { errorPage, errorResponse, gatewayHeaders, wantsHtmlNavigation } from "../errors";
import { logEvent } from "../log";
import { clearedSessionSetCookie } from "../session/cookie";
import type { GatewayEnv } from "./types";

export function requireAccess(): MiddlewareHandler<GatewayEnv> {
  return async function requireAccess(c, next) {
    const { config, session, canonicalPath } = c.var;
    const access = config.routePolicy.accessFor(c.req.method, canonicalPath);
    if (access.kind === "public") return next();
    if (!session) return unauthenticated(c);
    if (access.kind === "roles" && !access.roles.some((role) => session.user.roles.includes(role))) {
      logEvent("access.forbidden", { session: session.id, path: canonicalPath, method: c.req.method, needs: access.roles });
      return wantsHtmlNavigation(c.req.raw) ? errorPage("forbidden") : errorResponse("forbidden");
    }
    return next();
  };
}

/** The one answer for no session, expired, revoked or unknown alike (DESIGN.md "Sessions"). */
export function unauthenticated(c: Context<GatewayEnv>): Response {
  const headers = gatewayHeaders();
  if (c.var.staleCookie) headers.append("Set-Cookie", clearedSessionSetCookie(c.var.config.cookieName));
  if (wantsHtmlNavigation(c.req.raw)) {
    const returnTo = `${c.var.canonicalPath}${c.var.url.search}`;
    headers.set("Location", `/_gateway/login?return_to=${encodeURIComponent(returnTo)}`);
    return new Response(null, { status: 302, headers });
  }
  return errorResponse("unauthenticated", headers);
}
