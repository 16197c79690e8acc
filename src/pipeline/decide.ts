/**
 * Enforces the route policy for the canonical path: public passes; otherwise no session ⇒
 * 302 to the login endpoint (a browser asking for HTML with GET/HEAD) or 401 JSON; a session
 * without any of the rule's roles ⇒ 403. A request that carries a `_method` override is
 * decided as every method it could run as, and must pass them all (method-override.ts).
 */
import type { Context, MiddlewareHandler } from "hono";
import { errorPage, errorResponse, gatewayHeaders, wantsHtmlNavigation } from "../http/responses";
import { logEvent } from "../log";
import type { Access, RoutePolicy } from "../policy/routes";
import { clearedSessionSetCookie } from "../http/cookies";
import { overrideMethods } from "../policy/method-override";
import type { GatewayEnv } from "./types";

export interface DecideOptions {
  /** ROUTES and DEFAULT_ACCESS, compiled once. */
  readonly policy: RoutePolicy;
  /** COOKIE_NAME: a refusal clears a cookie that gave no session. */
  readonly cookieName: string;
  /** Told every decision, with the access that decided it (app.ts: metrics). */
  readonly onDecision?: (c: Context<GatewayEnv>, outcome: "allowed" | "unauthenticated" | "forbidden", access: Access) => void;
}

export function decide(options: DecideOptions): MiddlewareHandler<GatewayEnv> {
  const { policy, onDecision } = options;
  return async function decide(c, next) {
    const { session, canonicalPath } = c.var;
    const method = c.req.method;
    const overrides = await overrideMethods(c.req.raw, c.var.url, () => policy.dependsOnMethod(method, canonicalPath));
    const methods = [method, ...overrides.filter((override) => override !== method)];
    const accesses = methods.map((one) => policy.accessFor(one, canonicalPath));
    // The access that decides: the strictest of the request's methods.
    const deciding = accesses.find((access) => access.kind === "roles") ?? accesses.find((access) => access.kind === "session") ?? accesses[0]!;
    if (accesses.every((access) => access.kind === "public")) {
      onDecision?.(c, "allowed", deciding);
      return next();
    }
    if (!session) {
      onDecision?.(c, "unauthenticated", deciding);
      return unauthenticated(c, options.cookieName);
    }
    const missing = accesses.find((access): access is Extract<Access, { kind: "roles" }> => access.kind === "roles" && !access.roles.some((role) => session.user.roles.includes(role)));
    if (missing) {
      onDecision?.(c, "forbidden", missing);
      logEvent("access.forbidden", { session: session.id, path: canonicalPath, method, ...(overrides.length > 0 ? { overrides } : {}), needs: missing.roles });
      return wantsHtmlNavigation(c.req.raw) ? errorPage("forbidden") : errorResponse("forbidden");
    }
    onDecision?.(c, "allowed", deciding);
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
