/**
 * A user's own sessions (OWASP ASVS 5.0 §7.4.3, §7.5.2; checklist T-08): list them, end one
 * of them (say, a forgotten browser), or end them all ("sign out everywhere"). Public ids only;
 * a session can end only sessions of its own subject in its own realm (the same id at another
 * app is another user: session/realm.ts), and the unsafe methods are refused when the browser
 * says they come from another site.
 */
import { Hono, type Context, type MiddlewareHandler } from "hono";
import type { Env } from "../env";
import { errorResponse, GatewayError, gatewayHeaders, jsonResponse, wantsHtmlNavigation } from "../http/responses";
import type { Brand } from "../pages/brand";
import { SESSIONS_PATH, SIGNED_OUT_PATH, sessionsPage } from "../pages/session-pages";
import type { SessionView } from "../session/types";
import { logEvent, logWarning } from "../log";
import { markSignedOut, type SessionCookieSpec } from "../http/cookies";
import { listUserSessions, readSession, revokeSession, revokeUserSessions } from "../session/store";
import { isPublicId } from "../session/token";
import { isCrossSite } from "../http/csrf";
import { unauthenticated } from "../answers/render";
import type { GatewayEnv } from "../pipeline/types";
import { liveSession } from "../credentials/credential";

export interface MySessionsOptions {
  /** COOKIE_NAME and COOKIE_DOMAIN. */
  readonly sessionCookie: SessionCookieSpec;
  readonly brand: Brand;
}

export function mySessions({ sessionCookie, brand }: MySessionsOptions): Hono<GatewayEnv> {
  const mySessions = new Hono<GatewayEnv>();

  mySessions.use(requireOwnSession(sessionCookie));

  mySessions.get("/", async function listMySessions(c) {
    const session = ownSession(c);
    const sessions = await listUserSessions(c.env, realmOf(session), session.user.sub);
    if (wantsHtmlNavigation(c.req.raw)) return sessionsPage(brand, session, sessions);
    return jsonResponse({ current: session.id, sessions });
  });

  // The page's forms (the JSON API below is unchanged): each answers with the page again, or
  // with "signed out" when this browser's own session was among those ended.
  mySessions.post("/:id/end", async function endFromPage(c) {
    const session = ownSession(c);
    const id = c.req.param("id");
    if (!(await endOwnSession(c.env, session, id))) throw new GatewayError("not_found", "no such session of this user");
    return afterForm(id === session.id);
  });

  mySessions.post("/end-others", async function endOthersFromPage(c) {
    const session = ownSession(c);
    const others = (await listUserSessions(c.env, realmOf(session), session.user.sub)).filter((other) => other.id !== session.id);
    await Promise.all(others.map((other) => revokeSession(c.env, other.id, "user-ended")));
    logEvent("user.sessions_ended", { session: session.id, sub: session.user.sub, revoked: others.length, kept: session.id });
    return afterForm(false);
  });

  mySessions.post("/end-all", async function endAllFromPage(c) {
    await endAllOwnSessions(c.env, ownSession(c));
    return afterForm(true);
  });

  function afterForm(signedOut: boolean): Response {
    const headers = gatewayHeaders({ Location: signedOut ? SIGNED_OUT_PATH : SESSIONS_PATH });
    if (signedOut) markSignedOut(headers, sessionCookie);
    return new Response(null, { status: 303, headers });
  }

  mySessions.delete("/:id", async function endMySession(c) {
    const session = ownSession(c);
    const id = c.req.param("id");
    if (!(await endOwnSession(c.env, session, id))) return errorResponse("not_found");
    const headers = gatewayHeaders();
    if (id === session.id) markSignedOut(headers, sessionCookie);
    return new Response(null, { status: 204, headers });
  });

  mySessions.delete("/", async function endAllMySessions(c) {
    await endAllOwnSessions(c.env, ownSession(c));
    const headers = gatewayHeaders();
    markSignedOut(headers, sessionCookie);
    return new Response(null, { status: 204, headers });
  });
  return mySessions;
}

/** Ends one of the user's own sessions; false when the id is not one (another user's, ended, malformed: alike). */
async function endOwnSession(env: Env, session: SessionView, id: string): Promise<boolean> {
  const target = isPublicId(id) ? await readSession(env, id) : null;
  if (!target || target.realm !== session.realm || target.user.sub !== session.user.sub) return false;
  await revokeSession(env, id, "user-ended");
  logEvent("user.session_ended", { session: session.id, ended: id });
  return true;
}

/** "Sign out everywhere": every session of the user, this one too. */
async function endAllOwnSessions(env: Env, session: SessionView): Promise<void> {
  const revoked = await revokeUserSessions(env, realmOf(session), session.user.sub, "user-ended-all");
  logEvent("user.sessions_ended", { session: session.id, sub: session.user.sub, revoked });
}

/** A live session has its realm: one from before realms is none anywhere (credentials/session-cookie.ts). */
function realmOf(session: SessionView): string {
  if (session.realm === undefined) throw new Error(`session ${session.id} has no realm`);
  return session.realm;
}

/** The caller's session: requireOwnSession let only a live one through. */
function ownSession(c: Context<GatewayEnv>): SessionView {
  return liveSession(c.get("credential"))!;
}

function requireOwnSession(sessionCookie: SessionCookieSpec): MiddlewareHandler<GatewayEnv> {
  return async function requireOwnSession(c, next) {
    const session = liveSession(c.get("credential"));
    if (!session) return unauthenticated(c, sessionCookie);
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && isCrossSite(c.req.raw)) {
      logWarning("user.cross_site_refused", { session: session.id, origin: c.req.header("origin") ?? null });
      return errorResponse("forbidden");
    }
    await next();
  };
}
