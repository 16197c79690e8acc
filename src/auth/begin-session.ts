/**
 * A login, however it happened (the origin's `X-Gateway-Login` or an OIDC callback): revoke
 * the session the request presented, then mint a new one — new token, new public id — so a
 * session id planted before login is worth nothing after it (no fixation; OWASP ASVS 5.0
 * §7.2.4, SECURITY-CHECKLIST F-01).
 */
import type { Context } from "hono";
import { logEvent } from "../log";
import { sessionSetCookie } from "../http/cookies";
import { createSession, revokeSession } from "../session/store";
import type { IdpLink, SessionUser, SessionView } from "../session/types";
import { clientIp, MAX_USER_AGENT_LENGTH } from "../pipeline/load-session";
import type { GatewayEnv } from "../pipeline/types";

/** Creates the session; answers it and the `Set-Cookie` line for its cookie. */
export async function beginSession(
  c: Context<GatewayEnv>,
  user: SessionUser,
  idp?: IdpLink,
): Promise<{ session: SessionView; setCookie: string }> {
  const { config, presentedPublicIds } = c.var;
  await Promise.all(presentedPublicIds.map((publicId) => revokeSession(c.env, publicId, "login-replaced")));
  const ip = clientIp(c.req.raw);
  const userAgent = c.req.header("user-agent");
  const client = {
    ...(ip ? { clientIp: ip } : {}),
    ...(userAgent ? { userAgent: userAgent.slice(0, MAX_USER_AGENT_LENGTH) } : {}),
  };
  const { token, session } = await createSession(c.env, config, user, client, idp);
  logEvent("login.succeeded", { session: session.id, sub: session.user.sub, replaced: presentedPublicIds, via: idp ? "oidc" : "origin" });
  return { session, setCookie: sessionSetCookie(config.cookieName, token, config.absoluteTimeoutSeconds) };
}
