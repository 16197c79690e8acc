/**
 * The origin's control headers (DESIGN.md "Origin control headers"), acted on and then removed
 * so the client never sees them:
 * - `X-Gateway-Login: {json identity}` on a response to a LOGIN_ROUTES path creates a new
 *   session, sets its cookie and revokes the one the request presented (no fixation; OWASP
 *   ASVS 5.0 §7.2.4). Anywhere else, and always in OIDC mode (where only the provider logs
 *   users in), it is ignored and logged.
 * - `X-Gateway-Logout: 1` revokes the request's session and clears the cookie.
 * An origin `Set-Cookie` for the session cookie's name is dropped: only the gateway sets it.
 */
import type { Context } from "hono";
import { GatewayError } from "../errors";
import { logEvent, logWarning } from "../log";
import { CLEAR_SITE_DATA, clearedSessionSetCookie } from "../session/cookie";
import { revokeSession } from "../session/store";
import { parseLoginHeader } from "../session/user";
import { beginSession } from "./begin-session";
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
    if (c.var.config.oidc) logWarning("login.ignored_oidc_mode", { path: c.var.canonicalPath });
    else if (c.var.config.isLoginRoute(c.var.canonicalPath)) return startSession(c, response, login);
    else logWarning("login.ignored_off_route", { path: c.var.canonicalPath });
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
  const { setCookie } = await beginSession(c, parsed.user);
  response.headers.append("Set-Cookie", setCookie);
  response.headers.set("Cache-Control", "no-store");
  return response;
}

async function endSession(c: Context<GatewayEnv>, response: Response): Promise<Response> {
  const publicId = c.var.session?.id ?? c.var.presentedPublicId;
  if (publicId) await revokeSession(c.env, publicId, "logout");
  logEvent("logout", { session: publicId, by: "origin" });
  response.headers.append("Set-Cookie", clearedSessionSetCookie(c.var.config.cookieName));
  response.headers.set("Clear-Site-Data", CLEAR_SITE_DATA);
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
