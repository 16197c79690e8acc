/**
 * Enforces the route policy for the canonical path: public passes; otherwise no session ⇒
 * 302 to the login endpoint (a browser asking for HTML with GET/HEAD) or 401 JSON; a session
 * that fails a requirement ⇒ 403, except one that only authenticated too long ago ⇒ a new
 * login with `max_age` (302 for a browser, 401 `reauthentication_required` otherwise). A
 * request that carries a `_method` override is decided as every method it could run as, and
 * must pass them all (method-override.ts). Every refusal is logged with the requirement that
 * failed and the session's public id; the client sees only the generic answer.
 */
import type { Context, MiddlewareHandler } from "hono";
import { errorResponse, GatewayError, gatewayHeaders, wantsHtmlNavigation } from "../http/responses";
import { logEvent } from "../log";
import { requestSubject, unmetRequirement, type AccessSubject, type RequirementKey } from "../policy/requirements";
import type { RoutePolicy } from "../policy/routes";
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
    const logged = { path: canonicalPath, method, ...(overrides.length > 0 ? { overrides } : {}) };
    if (!session) {
      if (c.var.disallowedSession === null) return unauthenticated(c, options.cookieName);
      logEvent("access.forbidden", { session: c.var.disallowedSession, ...logged, requirement: "ALLOWED_USERS" });
      forbidden();
    }

    let failed: RequirementKey | null = null;
    let maxAgeSeconds = Infinity;
    let subject: AccessSubject | null = null;
    for (const access of accesses) {
      if (access.kind !== "requirements") continue;
      subject ??= requestSubject(c.req.raw, session.user, Date.parse(session.authenticatedAt), Date.now());
      const unmet = unmetRequirement(access.requirements, subject);
      if (unmet === "maxAuthAgeSeconds") maxAgeSeconds = Math.min(maxAgeSeconds, access.requirements.maxAuthAgeSeconds!);
      // Another requirement wins over the age: signing in again would not meet it.
      else if (unmet !== null && failed === null) failed = unmet;
    }
    if (failed !== null) {
      logEvent("access.forbidden", { session: session.id, ...logged, requirement: failed });
      forbidden();
    }
    if (maxAgeSeconds !== Infinity) {
      logEvent("access.reauthentication_required", { session: session.id, ...logged, requirement: "maxAuthAgeSeconds", maxAgeSeconds, authenticatedAt: session.authenticatedAt });
      return reauthenticate(c, maxAgeSeconds);
    }
    return next();
  };
}

/** The generic refusal (a page for a browser, JSON otherwise: app.ts); the caller logged why. */
function forbidden(): never {
  throw new GatewayError("forbidden", "a requirement is not met", { alreadyLogged: true });
}

/** The one answer for no session, expired, revoked or unknown alike (docs/design.md "Sessions"). */
export function unauthenticated(c: Context<GatewayEnv>, cookieName: string): Response {
  const headers = gatewayHeaders();
  if (c.var.staleCookie) headers.append("Set-Cookie", clearedSessionSetCookie(cookieName));
  if (wantsHtmlNavigation(c.req.raw)) return loginRedirect(c, headers);
  return errorResponse("unauthenticated", headers);
}

/** A login too long ago for the rule: sign in again, with `max_age` for the provider or LOGIN_URL. */
function reauthenticate(c: Context<GatewayEnv>, maxAgeSeconds: number): Response {
  if (wantsHtmlNavigation(c.req.raw)) return loginRedirect(c, gatewayHeaders(), maxAgeSeconds);
  return errorResponse("reauthentication_required");
}

function loginRedirect(c: Context<GatewayEnv>, headers: Headers, maxAgeSeconds?: number): Response {
  const returnTo = `${c.var.canonicalPath}${c.var.url.search}`;
  const maxAge = maxAgeSeconds === undefined ? "" : `&max_age=${maxAgeSeconds}`;
  headers.set("Location", `/_gateway/login?return_to=${encodeURIComponent(returnTo)}${maxAge}`);
  return new Response(null, { status: 302, headers });
}
