/**
 * The origin's control headers (docs/design.md "Origin control headers"), acted on and then
 * removed so the client never sees them, on every answer, a 101 included (SECURITY.md X-06):
 * - `X-Gateway-Login` goes to the login method (delegated: a new session on a LOGIN_ROUTES
 *   or LOGIN_CALLBACK_ROUTES path; OIDC: ignored). A 101 (WebSocket) answer never logs in.
 * - `X-Gateway-Logout: 1` revokes every session the request presented and clears the cookie.
 * An origin `Set-Cookie` for a gateway cookie (the session's, the login method's) is dropped:
 * only the gateway sets them.
 */
import type { Context } from "hono";
import { markSignedOut, type SessionCookieSpec } from "../http/cookies";
import { logWarning } from "../log";
import type { LoginMethod } from "../auth/method";
import type { IdentityPropagator } from "../identity/propagator";
import type { GatewayEnv } from "../pipeline/types";
import { logoutSessions } from "../session/store";
import { presentedPublicIds } from "../credentials/credential";

export interface OriginControlOptions {
  /** COOKIE_NAME and COOKIE_DOMAIN. */
  readonly sessionCookie: SessionCookieSpec;
  /** Whether a cookie name is the gateway's (http/cookies.ts gatewayCookie). */
  readonly isGatewayCookie: (name: string) => boolean;
  readonly login: LoginMethod;
  readonly propagator: IdentityPropagator;
}

export function originControl(options: OriginControlOptions) {
  return async function applyOriginControl(c: Context<GatewayEnv>, response: Response): Promise<Response> {
    const login = response.headers.get("x-gateway-login");
    const logout = response.headers.get("x-gateway-logout");
    for (const name of [...response.headers.keys()]) {
      if (options.propagator.isOwnHeader(name)) response.headers.delete(name);
    }
    dropGatewaySetCookies(response.headers, options.isGatewayCookie);

    if (login !== null) {
      if (response.status === 101) logWarning("login.ignored_upgrade", { path: c.get("canonicalPath") });
      else return options.login.originLogin(c, response, login);
    }
    if (logout !== null) return endSessions(c, response, options.sessionCookie);
    return response;
  };
}

async function endSessions(c: Context<GatewayEnv>, response: Response, sessionCookie: SessionCookieSpec): Promise<Response> {
  await logoutSessions(c.env, presentedPublicIds(c.get("credential")), "origin");
  markSignedOut(response.headers, sessionCookie);
  response.headers.set("Cache-Control", "no-store");
  return response;
}

function dropGatewaySetCookies(headers: Headers, isGatewayCookie: (name: string) => boolean): void {
  const cookies = headers.getSetCookie();
  const kept = cookies.filter((line) => !isGatewayCookie(line.split("=", 1)[0]!.trim()));
  if (kept.length === cookies.length) return;
  logWarning("origin.gateway_cookie_dropped");
  headers.delete("set-cookie");
  for (const line of kept) headers.append("set-cookie", line);
}
