/**
 * The origin's control headers (DESIGN.md "Origin control headers"), acted on and then removed
 * so the client never sees them:
 * - `X-Gateway-Login: {json identity}` on a response to a LOGIN_ROUTES path creates a new
 *   session, sets its cookie and revokes the one the request presented (no fixation; OWASP
 *   ASVS 5.0 §7.2.4). Anywhere else, and always in OIDC mode (where only the provider logs
 *   users in), it is ignored and logged.
 *   A login answered to a cross-site request (`Sec-Fetch-Site`/`Origin`) is refused: a page
 *   elsewhere must not sign the browser in to an account of its choosing (login CSRF; X-10).
 *   A 101 (WebSocket) answer never logs in.
 * - `X-Gateway-Logout: 1` revokes every session the request presented and clears the cookie,
 *   on any answer, 101 included.
 * An origin `Set-Cookie` for a gateway cookie (the session's, the OIDC login transaction's) is
 * dropped: only the gateway sets them.
 */
import type { Context } from "hono";
import { GatewayError } from "../http/responses";
import { logEvent, logWarning } from "../log";
import { TRANSACTION_COOKIE } from "../auth/oidc/transaction";
import { CLEAR_SITE_DATA, clearedSessionSetCookie } from "../http/cookies";
import { revokeSession } from "../session/store";
import { parseLoginHeader } from "../session/user";
import { beginSession } from "../auth/begin-session";
import { isCrossSite } from "../http/csrf";
import { isIdentityHeaderName } from "../identity/headers";
import type { GatewayEnv } from "../pipeline/types";

export async function applyOriginControl(c: Context<GatewayEnv>, response: Response): Promise<Response> {
  const login = response.headers.get("x-gateway-login");
  const logout = response.headers.get("x-gateway-logout");
  for (const name of [...response.headers.keys()]) {
    if (isIdentityHeaderName(name)) response.headers.delete(name);
  }
  dropGatewaySetCookies(response.headers, [c.var.config.cookieName, TRANSACTION_COOKIE]);

  if (login !== null) {
    if (c.var.config.oidc) logWarning("login.ignored_oidc_mode", { path: c.var.canonicalPath });
    else if (response.status === 101) logWarning("login.ignored_upgrade", { path: c.var.canonicalPath });
    else if (c.var.config.isLoginRoute(c.var.canonicalPath)) return startSession(c, response, login);
    else logWarning("login.ignored_off_route", { path: c.var.canonicalPath });
  }
  if (logout !== null) return endSession(c, response);
  return response;
}

async function startSession(c: Context<GatewayEnv>, response: Response, header: string): Promise<Response> {
  if (isCrossSite(c.req.raw)) {
    logWarning("login.cross_site_refused", {
      path: c.var.canonicalPath,
      site: c.req.header("sec-fetch-site") ?? null,
      origin: c.req.header("origin") ?? null,
    });
    throw new GatewayError("forbidden", "X-Gateway-Login answered to a cross-site request");
  }
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
  const publicIds = c.var.presentedPublicIds;
  await Promise.all(publicIds.map((publicId) => revokeSession(c.env, publicId, "logout")));
  logEvent("logout", { session: publicIds[0] ?? null, ...(publicIds.length > 1 ? { also: publicIds.slice(1) } : {}), by: "origin" });
  response.headers.append("Set-Cookie", clearedSessionSetCookie(c.var.config.cookieName));
  response.headers.set("Clear-Site-Data", CLEAR_SITE_DATA);
  response.headers.set("Cache-Control", "no-store");
  return response;
}

function dropGatewaySetCookies(headers: Headers, cookieNames: readonly string[]): void {
  const cookies = headers.getSetCookie();
  const kept = cookies.filter((line) => !cookieNames.includes(line.split("=", 1)[0]!.trim()));
  if (kept.length === cookies.length) return;
  logWarning("origin.session_cookie_dropped");
  headers.delete("set-cookie");
  for (const line of kept) headers.append("set-cookie", line);
}
