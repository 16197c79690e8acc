/**
 * Enforces the route policy for the canonical path: public passes; otherwise no session ⇒
 * 302 to the login endpoint (a browser asking for HTML with GET/HEAD; with `max_age` where the
 * route needs a recent login) or 401 JSON; a session that fails a requirement ⇒ 403, except
 * one that only authenticated too long ago, or at an unknown time ⇒ a new login with
 * `max_age` (302 for a browser, 401 `reauthentication_required` otherwise). A
 * request that carries a `_method` override is decided as every method it could run as, and
 * must pass them all (method-override.ts). Every refusal is logged with the requirement that
 * failed and the session's public id; the client sees only the generic answer. The rule that
 * decided names the origin the terminal sends to; a hostname no rule serves is 404.
 */
import type { Context, MiddlewareHandler } from "hono";
import { errorResponse, GatewayError, gatewayHeaders, wantsHtmlNavigation } from "../http/responses";
import { logEvent } from "../log";
import { authenticatedAtMs, requestSubject, unmetRequirement, type AccessSubject, type RequirementKey } from "../policy/requirements";
import type { Access, RoutePolicy } from "../policy/routes";
import { clearedSessionSetCookie, type SessionCookieSpec } from "../http/cookies";
import { overrideMethods } from "../policy/method-override";
import type { Decision, DecisionOutcome, GatewayEnv } from "./types";

export interface DecideOptions {
  /** ROUTES and DEFAULT_ACCESS, compiled once. */
  readonly policy: RoutePolicy;
  /** COOKIE_NAME and COOKIE_DOMAIN: a refusal clears a cookie that gave no session. */
  readonly sessionCookie: SessionCookieSpec;
  /** Told every decision: how, the access and rule that decided it, and why (app.ts: metrics). */
  readonly onDecision?: (c: Context<GatewayEnv>, decision: Decision) => void;
}

export function decide(options: DecideOptions): MiddlewareHandler<GatewayEnv> {
  const { policy, onDecision } = options;
  return async function decide(c, next) {
    const session = c.get("session");
    const canonicalPath = c.get("canonicalPath");
    const { hostname } = c.get("url");
    const method = c.req.method;
    const matched = policy.match(method, canonicalPath, hostname);
    if (!matched) throw noAppAtHost(hostname);
    c.set("originName", matched.origin);
    const overrides = await overrideMethods(c.req.raw, c.get("url"), () => policy.dependsOnMethod(method, canonicalPath, hostname));
    const accesses = [matched.access];
    for (const override of overrides) {
      if (override === method) continue;
      const access = policy.accessFor(override, canonicalPath, hostname);
      if (!access) throw noAppAtHost(hostname);
      accesses.push(access);
    }
    // The access that decides: the strictest of the request's methods (for metrics).
    const deciding = accesses.find((access) => access.kind === "requirements") ?? accesses.find((access) => access.kind === "session") ?? accesses[0]!;
    const decided = (outcome: DecisionOutcome, reason: string) => onDecision?.(c, { outcome, access: deciding, reason, rule: matched.rule });
    if (accesses.every((access) => access.kind === "public")) {
      decided("allowed", "public");
      return next();
    }
    const logged = { path: canonicalPath, method, ...(overrides.length > 0 ? { overrides } : {}) };
    if (!session) {
      const disallowed = c.get("disallowedSession");
      if (disallowed === null) {
        decided("unauthenticated", "no-session");
        // A route that needs a recent login asks for one from the start: the login then
        // proves it (max_age), rather than a silent one the route would send back (R1).
        return unauthenticated(c, options.sessionCookie, strictestMaxAuthAge(accesses));
      }
      decided("forbidden", "ALLOWED_USERS");
      forbidden({ session: disallowed, ...logged, requirement: "ALLOWED_USERS" });
    }

    let failed: RequirementKey | null = null;
    let maxAgeSeconds = Infinity;
    let subject: AccessSubject | null = null;
    // The smallest max auth age of the rules that allow it: a live connection ends when it passes.
    let allowedAgeSeconds = Infinity;
    for (const access of accesses) {
      if (access.kind !== "requirements") continue;
      allowedAgeSeconds = Math.min(allowedAgeSeconds, access.requirements.maxAuthAgeSeconds ?? Infinity);
      subject ??= requestSubject(c.req.raw, session.user, authenticatedAtMs(session), Date.now());
      const unmet = unmetRequirement(access.requirements, subject);
      if (unmet === "maxAuthAgeSeconds") maxAgeSeconds = Math.min(maxAgeSeconds, access.requirements.maxAuthAgeSeconds!);
      // Another requirement wins over the age: signing in again would not meet it.
      else if (unmet !== null && failed === null) failed = unmet;
    }
    if (failed !== null) {
      decided("forbidden", failed);
      forbidden({ session: session.id, ...logged, requirement: failed });
    }
    if (maxAgeSeconds !== Infinity) {
      decided("reauthenticate", "maxAuthAgeSeconds");
      logEvent("access.reauthentication_required", { session: session.id, ...logged, requirement: "maxAuthAgeSeconds", maxAgeSeconds, authenticatedAt: session.authenticatedAt });
      return reauthenticate(c, maxAgeSeconds);
    }
    c.set("reauthenticateAtMs", allowedAgeSeconds === Infinity ? null : (authenticatedAtMs(session) ?? 0) + allowedAgeSeconds * 1000);
    decided("allowed", deciding.kind);
    return next();
  };
}

/** A hostname no rule serves, when rules route by host (policy/routes.ts). */
function noAppAtHost(hostname: string): GatewayError {
  return new GatewayError("not_found", "no rule serves this host", { fields: { host: hostname } });
}

/** The generic refusal (a page for a browser, JSON otherwise: app.ts); its log line names the requirement that failed. */
function forbidden(fields: { readonly session: string; readonly requirement: string }): never {
  throw new GatewayError("forbidden", `${fields.requirement} is not met`, { event: "access.forbidden", level: "info", fields });
}

/** The one answer for no session, expired, revoked or unknown alike (docs/design.md "Sessions"). */
export function unauthenticated(c: Context<GatewayEnv>, sessionCookie: SessionCookieSpec, maxAgeSeconds?: number): Response {
  const headers = gatewayHeaders();
  if (c.get("staleCookie")) headers.append("Set-Cookie", clearedSessionSetCookie(sessionCookie));
  if (wantsHtmlNavigation(c.req.raw)) return loginRedirect(c, headers, maxAgeSeconds);
  return errorResponse("unauthenticated", headers);
}

/** The smallest maxAuthAgeSeconds among the accesses; undefined when none has one. */
function strictestMaxAuthAge(accesses: readonly Access[]): number | undefined {
  let strictest: number | undefined;
  for (const access of accesses) {
    const seconds = access.kind === "requirements" ? access.requirements.maxAuthAgeSeconds : undefined;
    if (seconds !== undefined && (strictest === undefined || seconds < strictest)) strictest = seconds;
  }
  return strictest;
}

/** A login too long ago for the rule: sign in again, with `max_age` for the provider or LOGIN_URL. */
function reauthenticate(c: Context<GatewayEnv>, maxAgeSeconds: number): Response {
  if (wantsHtmlNavigation(c.req.raw)) return loginRedirect(c, gatewayHeaders(), maxAgeSeconds);
  return errorResponse("reauthentication_required");
}

function loginRedirect(c: Context<GatewayEnv>, headers: Headers, maxAgeSeconds?: number): Response {
  const returnTo = `${c.get("canonicalPath")}${c.get("url").search}`;
  const maxAge = maxAgeSeconds === undefined ? "" : `&max_age=${maxAgeSeconds}`;
  headers.set("Location", `/_gateway/login?return_to=${encodeURIComponent(returnTo)}${maxAge}`);
  return new Response(null, { status: 302, headers });
}
