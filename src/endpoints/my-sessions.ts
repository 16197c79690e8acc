/**
 * A user's own sessions (OWASP ASVS 5.0 §7.4.3, §7.5.2; checklist T-08): list them, end one
 * of them (say, a forgotten browser), or end them all ("sign out everywhere"). Public ids only;
 * a session can end only sessions of its own subject, and the unsafe methods are refused when
 * the browser says they come from another site.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { errorResponse, gatewayHeaders, jsonResponse } from "../http/responses";
import { logEvent, logWarning } from "../log";
import { markSignedOut } from "../http/cookies";
import { listUserSessions, readSession, revokeSession, revokeUserSessions } from "../session/store";
import { isPublicId } from "../session/token";
import { isCrossSite } from "../http/csrf";
import { unauthenticated } from "../pipeline/decide";
import type { GatewayEnv } from "../pipeline/types";

export interface MySessionsOptions {
  /** COOKIE_NAME. */
  readonly cookieName: string;
}

export function mySessions({ cookieName }: MySessionsOptions): Hono<GatewayEnv> {
  const mySessions = new Hono<GatewayEnv>();

  mySessions.use(requireOwnSession(cookieName));

  mySessions.get("/", async function listMySessions(c) {
    const session = c.var.session!;
    const sessions = await listUserSessions(c.env, session.user.sub);
    return jsonResponse({ current: session.id, sessions });
  });

  mySessions.delete("/:id", async function endMySession(c) {
    const session = c.var.session!;
    const id = c.req.param("id");
    // Someone else's session, an ended one and a malformed id all look the same: not found.
    const target = isPublicId(id) ? await readSession(c.env, id) : null;
    if (!target || target.user.sub !== session.user.sub) return errorResponse("not_found");
    await revokeSession(c.env, id, "user-ended");
    logEvent("user.session_ended", { session: session.id, ended: id });
    const headers = gatewayHeaders();
    if (id === session.id) markSignedOut(headers, cookieName);
    return new Response(null, { status: 204, headers });
  });

  mySessions.delete("/", async function endAllMySessions(c) {
    const session = c.var.session!;
    const revoked = await revokeUserSessions(c.env, session.user.sub, "user-ended-all");
    logEvent("user.sessions_ended", { session: session.id, sub: session.user.sub, revoked });
    const headers = gatewayHeaders();
    markSignedOut(headers, cookieName);
    return new Response(null, { status: 204, headers });
  });
  return mySessions;
}

function requireOwnSession(cookieName: string): MiddlewareHandler<GatewayEnv> {
  return async function requireOwnSession(c, next) {
    if (!c.var.session) return unauthenticated(c, cookieName);
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && isCrossSite(c.req.raw)) {
      logWarning("user.cross_site_refused", { session: c.var.session.id, origin: c.req.header("origin") ?? null });
      return errorResponse("forbidden");
    }
    await next();
  };
}
