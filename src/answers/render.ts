/**
 * The one renderer: what a decision (policy/evaluate.ts) answers when it does not let the
 * request on. For nobody, or a session that ended: a browser navigation (GET/HEAD asking for
 * HTML) gets 302 to the login endpoint — with `max_age` where the route needs a recent login —
 * and anything else 401 JSON, clearing a cookie that gave no session. A login too long ago, or
 * at an unknown time: a new login with `max_age` (302 for a browser, 401
 * `reauthentication_required` otherwise). A failed requirement: the generic 403, and a host no
 * rule serves: 404, both as a page for a browser and JSON otherwise (errors.ts). Every refusal
 * is logged with the requirement that failed and the session's public id; the client sees only
 * the generic answer. The endpoints that need a session answer its absence here too.
 */
import type { Context } from "hono";
import { presentedPublicIds, clearsCookie } from "../credentials/credential";
import { clearedSessionSetCookie, type SessionCookieSpec } from "../http/cookies";
import { errorResponse, GatewayError, gatewayHeaders, wantsHtmlNavigation } from "../http/responses";
import { logEvent } from "../log";
import type { GatewayEnv } from "../pipeline/types";
import type { AccessRequest, Decision } from "../policy/evaluate";

export interface DecisionAnswerOptions {
  /** COOKIE_NAME and COOKIE_DOMAIN: a refusal clears a cookie that gave no session. */
  readonly sessionCookie: SessionCookieSpec;
}

/** The answer to a decision that stops the request (it throws for 403 and 404); null when it may go on. */
export type DecisionAnswer = (c: Context<GatewayEnv>, request: AccessRequest, decision: Decision | null) => Response | null;

export function decisionAnswer({ sessionCookie }: DecisionAnswerOptions): DecisionAnswer {
  return function answerDecision(c, request, decision) {
    if (decision === null) throw new GatewayError("not_found", "no rule serves this host", { fields: { host: request.host } });
    if (decision.outcome === "allowed") return null;
    // A route that needs a recent login asks for one from the start: the login then proves
    // it (max_age), rather than a silent one the route would send back (R1).
    if (decision.outcome === "unauthenticated") return unauthenticated(c, sessionCookie, decision.maxAgeSeconds);
    const credential = c.get("credential");
    const logged = {
      session: presentedPublicIds(credential)[0] ?? null,
      path: request.path,
      method: request.method,
      ...(request.overrides.length > 0 ? { overrides: request.overrides } : {}),
      requirement: decision.reason,
    };
    if (decision.outcome === "forbidden") {
      throw new GatewayError("forbidden", `${decision.reason} is not met`, { event: "access.forbidden", level: "info", fields: logged });
    }
    const authenticatedAt = credential.state === "live" ? credential.principal.session.authenticatedAt : null;
    logEvent("access.reauthentication_required", { ...logged, maxAgeSeconds: decision.maxAgeSeconds, authenticatedAt });
    return reauthenticate(c, decision.maxAgeSeconds);
  };
}

/** The one answer for no session, expired, revoked or unknown alike (docs/design.md "Sessions"). */
export function unauthenticated(c: Context<GatewayEnv>, sessionCookie: SessionCookieSpec, maxAgeSeconds?: number): Response {
  const headers = gatewayHeaders();
  if (clearsCookie(c.get("credential"))) headers.append("Set-Cookie", clearedSessionSetCookie(sessionCookie));
  if (wantsHtmlNavigation(c.req.raw)) return loginRedirect(c, headers, maxAgeSeconds);
  return errorResponse("unauthenticated", headers);
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
