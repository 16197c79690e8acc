/**
 * A login, however it happened (the origin's `X-Gateway-Login` or an OIDC callback): revoke
 * the sessions the request presented, then mint a new one — new token, new public id — so a
 * session id planted before login is worth nothing after it (no fixation; OWASP ASVS 5.0
 * §7.2.4, SECURITY.md F-01).
 */
import { clientInfo } from "../http/client";
import { sessionSetCookie } from "../http/cookies";
import { logEvent } from "../log";
import { createSession, revokeSession, type NewSessionSettings } from "../session/store";
import type { BeginSession } from "./method";

export interface BeginSessionOptions extends NewSessionSettings {
  /** COOKIE_NAME. */
  readonly cookieName: string;
  /** For the log: how users log in ("origin" for delegated login, "oidc"). */
  readonly via: string;
}

export function sessionStarter(options: BeginSessionOptions): BeginSession {
  return async function beginSession(c, user, extras = {}) {
    const { presentedPublicIds } = c.var;
    await Promise.all(presentedPublicIds.map((publicId) => revokeSession(c.env, publicId, "login-replaced")));
    const { token, session } = await createSession(c.env, options, user, clientInfo(c.req.raw), extras);
    logEvent("login.succeeded", { session: session.id, sub: session.user.sub, replaced: presentedPublicIds, via: options.via });
    return { session, setCookie: sessionSetCookie(options.cookieName, token, options.absoluteTimeoutSeconds) };
  };
}
