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
 *
 * A request with a bearer credential is never redirected (RFC 6750 §3): one that is no good ⇒
 * 401 `WWW-Authenticate: Bearer error="invalid_token"`; a good one the rule does not allow ⇒
 * 403 `Bearer error="insufficient_scope"`. A rule that admits machines answers a request with
 * no credential 401 `WWW-Authenticate: Bearer`, unless it admits users too and the request is a
 * browser navigation, which goes to the login.
 */
import type { Context } from "hono";
import { presentedPublicIds, clearsCookie, isBearer, principalOf } from "../credentials/credential";
import { clearedSessionSetCookie, type SessionCookieSpec } from "../http/cookies";
import { errorResponse, GatewayError, gatewayHeaders, wantsHtmlNavigation } from "../http/responses";
import { logEvent } from "../log";
import type { GatewayEnv } from "../pipeline/types";
import type { AccessRequest, Decision } from "../policy/evaluate";
import { admitsMachines, admittedKinds } from "../policy/routes";

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
    const credential = c.get("credential");
    const bearer = isBearer(credential);
    if (decision.outcome === "unauthenticated") {
      if (bearer) return invalidToken();
      if (admitsMachines(decision.access) && !(admittedKinds(decision.access).includes("user") && wantsHtmlNavigation(c.req.raw))) {
        return unauthenticatedAnswer(c, sessionCookie, { "WWW-Authenticate": "Bearer" });
      }
      // A route that needs a recent login asks for one from the start: the login then proves
      // it (max_age), rather than a silent one the route would send back (R1).
      return unauthenticated(c, sessionCookie, decision.maxAgeSeconds);
    }
    const principal = principalOf(credential);
    const logged = {
      session: presentedPublicIds(credential)[0] ?? null,
      ...(principal && principal.kind !== "user" ? { principal: principal.kind, id: principal.id } : {}),
      path: request.path,
      method: request.method,
      ...(request.overrides.length > 0 ? { overrides: request.overrides } : {}),
      requirement: decision.reason,
    };
    if (decision.outcome === "forbidden") {
      const headers: HeadersInit = bearer ? { "WWW-Authenticate": 'Bearer error="insufficient_scope"' } : {};
      throw new GatewayError("forbidden", `${decision.reason} is not met`, { event: "access.forbidden", level: "info", fields: logged, headers });
    }
    const authenticatedAt = credential.state === "live" ? credential.principal.session.authenticatedAt : null;
    logEvent("access.reauthentication_required", { ...logged, maxAgeSeconds: decision.maxAgeSeconds, authenticatedAt });
    // A machine's token is too old for the rule: a newer token, not a login, is the remedy.
    if (bearer) return invalidToken();
    return reauthenticate(c, decision.maxAgeSeconds);
  };
}

/** RFC 6750 §3.1: the bearer credential is malformed, expired, revoked or unknown (the log says which). */
function invalidToken(): Response {
  return errorResponse("unauthenticated", gatewayHeaders({ "WWW-Authenticate": 'Bearer error="invalid_token"' }));
}

/** The one answer for no session, expired, revoked or unknown alike (docs/design.md "Sessions"). */
export function unauthenticated(c: Context<GatewayEnv>, sessionCookie: SessionCookieSpec, maxAgeSeconds?: number): Response {
  if (wantsHtmlNavigation(c.req.raw)) return loginRedirect(c, cookieClearing(c, sessionCookie), maxAgeSeconds);
  return unauthenticatedAnswer(c, sessionCookie);
}

/** 401 JSON, clearing a cookie that gave no session. */
function unauthenticatedAnswer(c: Context<GatewayEnv>, sessionCookie: SessionCookieSpec, extra?: HeadersInit): Response {
  const headers = cookieClearing(c, sessionCookie);
  for (const [name, value] of new Headers(extra)) headers.set(name, value);
  return errorResponse("unauthenticated", headers);
}

function cookieClearing(c: Context<GatewayEnv>, sessionCookie: SessionCookieSpec): Headers {
  const headers = gatewayHeaders();
  if (clearsCookie(c.get("credential"))) headers.append("Set-Cookie", clearedSessionSetCookie(sessionCookie));
  return headers;
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
