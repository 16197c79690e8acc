/**
 * The origin's control headers (DESIGN.md "Origin control headers"), acted on and then removed
 * so the client never sees them:
 * - `X-Gateway-Login: {json identity}` on a response to a LOGIN_ROUTES path creates a new
 *   session, sets its cookie and revokes the one the request presented (no fixation; OWASP
 *   ASVS 5.0 §7.2.4). Anywhere else it is ignored and logged.
 * - `X-Gateway-Logout: 1` revokes the request's session and clears the cookie.
 * An origin `Set-Cookie` for the session cookie's name is dropped: only the gateway sets it.
 */
import type { Context } from "hono";
import { GatewayError } from "../errors";
import { logEvent, logWarning } from "../log";
import { clearedSessionSetCookie, sessionSetCookie } from "../session/cookie";
import { createSession, revokeSession } from "../session/store";
import { parseLoginHeader } from "../session/user";
import { clientIp } from "./load-session";
import { isIdentityHeaderName } from "./identity";
import type { GatewayEnv } from "./types";

export async function applyOriginControl(c: Context<GatewayEnv>, response: Response): Promise<Response> {
  const login = response.headers.get("x-gateway-login");
  const logout = response.headers.get("x-gateway-logout");
  for (const name of [...response.headers.keys()]) {
    if (isIdentityHeaderName(name)) response.headers.delete(name);
  }
  dropSessionSetCookie(response.headers, c.var.config.cookieName);

  if (login !== null) {
    if (c.var.config.isLoginRoute(c.var.canonicalPath)) return startSession(c, response, login);
    logWarning("login.ignored_off_route", { path: c.var.canonicalPath });
  }
  if (logout !== null) return endSession(c, response);
  return response;
}

async function startSession(c: Context<GatewayEnv>, response: Response, header: string): Promise<Response> {
  const parsed = parseLoginHeader(header);
  if (!parsed.ok) {
    logWarning("login.refused", { reason: `X-Gateway-Login ${parsed.problem}`, path: c.var.canonicalPath });
    throw new GatewayError("bad_gateway", "origin sent an invalid X-Gateway-Login");
  }
  const { config, presentedPublicId } = c.var;
  if (presentedPublicId) await revokeSession(c.env, presentedPublicId, "login-replaced");
  const ip = clientIp(c.req.raw);
  const userAgent = c.req.header("user-agent");
  const { token, session } = await createSession(c.env, config, parsed.user, {
    ...(ip ? { clientIp: ip } : {}),
    ...(userAgent ? { userAgent: userAgent.slice(0, 512) } : {}),
  });
  logEvent("login.succeeded", { session: session.id, sub: session.user.sub, replaced: presentedPublicId });
  response.headers.append("Set-Cookie", sessionSetCookie(config.cookieName, token, config.absoluteTimeoutSeconds));
  response.headers.set("Cache-Control", "no-store");
  return response;
}

async function endSession(c: Context<GatewayEnv>, response: Response): Promise<Response> {
  const publicId = c.var.session?.id ?? c.var.presentedPublicId;
  if (publicId) await revokeSession(c.env, publicId, "logout");
  logEvent("logout", { session: publicId, by: "origin" });
  response.headers.append("Set-Cookie", clearedSessionSetCookie(c.var.config.cookieName));
  response.headers.set("Cache-Control", "no-store");
  return response;
}

function dropSessionSetCookie(headers: Headers, cookieName: string): void {
  const cookies = headers.getSetCookie();
  const kept = cookies.filter((line) => line.split("=", 1)[0]!.trim() !== cookieName);
  if (kept.length === cookies.length) return;
  logWarning("origin.session_cookie_dropped");
  headers.delete("set-cookie");
  for (const line of kept) headers.append("set-cookie", line);
}
