/**
 * Enforces the route policy for the canonical path: public passes; otherwise no session ⇒
 * 302 to the login endpoint (a browser asking for HTML with GET/HEAD) or 401 JSON; a session
 * without any of the rule's roles ⇒ 403. A request that carries a `_method` override is
 * decided as every method it could run as, and must pass them all (method-override.ts).
 */
import type { Context, MiddlewareHandler } from "hono";
import { errorResponse, GatewayError, gatewayHeaders, wantsHtmlNavigation } from "../http/responses";
import type { Access, RoutePolicy } from "../policy/routes";
import { clearedSessionSetCookie } from "../http/cookies";
import { overrideMethods } from "../policy/method-override";
import type { GatewayEnv } from "./types";

export interface DecideOptions {
  /** ROUTES and DEFAULT_ACCESS, compiled once. */
  readonly policy: RoutePolicy;
  /** COOKIE_NAME: a refusal clears a cookie that gave no session. */
  readonly cookieName: string;
}

export function decide(options: DecideOptions): MiddlewareHandler<GatewayEnv> {
  const { policy } = options;
  return async function decide(c, next) {
    const { session, canonicalPath } = c.var;
    const method = c.req.method;
    const overrides = await overrideMethods(c.req.raw, c.var.url, () => policy.dependsOnMethod(method, canonicalPath));
    const methods = [method, ...overrides.filter((override) => override !== method)];
    const accesses = methods.map((one) => policy.accessFor(one, canonicalPath));
    if (accesses.every((access) => access.kind === "public")) return next();
    if (!session) return unauthenticated(c, options.cookieName);
    const missing = accesses.find((access): access is Extract<Access, { kind: "roles" }> => access.kind === "roles" && !access.roles.some((role) => session.user.roles.includes(role)));
    if (missing) {
      const fields = { session: session.id, method, ...(overrides.length > 0 ? { overrides } : {}), needs: missing.roles };
      throw new GatewayError("forbidden", "a required role is missing", { event: "access.forbidden", fields });
    }
    return next();
  };
}

/** The one answer for no session, expired, revoked or unknown alike (docs/design.md "Sessions"). */
export function unauthenticated(c: Context<GatewayEnv>, cookieName: string): Response {
  const headers = gatewayHeaders();
  if (c.var.staleCookie) headers.append("Set-Cookie", clearedSessionSetCookie(cookieName));
  if (wantsHtmlNavigation(c.req.raw)) {
    const returnTo = `${c.var.canonicalPath}${c.var.url.search}`;
    headers.set("Location", `/_gateway/login?return_to=${encodeURIComponent(returnTo)}`);
    return new Response(null, { status: 302, headers });
  }
  return errorResponse("unauthenticated", headers);
}
