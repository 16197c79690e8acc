/**
 * A login, however it happened (the origin's `X-Gateway-Login` or an OIDC callback): check
 * ALLOWED_USERS first — a refused user gets a 403 that names the account and offers another
 * sign-in, and nothing is created or revoked, no Durable Object woken — then revoke the
 * sessions the request presented and mint a new one — new token, new public id — so a
 * session id planted before login is worth nothing after it (no fixation; OWASP ASVS 5.0
 * §7.2.4, SECURITY.md F-01). The new session belongs to the realm of the host the login
 * happened on (session/realm.ts): it is a session there, and nowhere another login reaches.
 */
import { clientInfo } from "../http/client";
import { sessionSetCookie, type SessionCookieSpec } from "../http/cookies";
import { acceptsHtml, errorResponse } from "../http/responses";
import type { Brand } from "../pages/brand";
import { errorPage } from "../pages/error-pages";
import { logEvent, logWarning } from "../log";
import { requestSubject, unmetRequirement, type Requirements } from "../policy/requirements";
import { realmOf } from "../session/realm";
import { createSession, revokeSession, type NewSessionSettings } from "../session/store";
import type { SessionUser } from "../session/types";
import type { BeginSession } from "./method";
import { presentedPublicIds } from "../credentials/credential";

export interface BeginSessionOptions extends NewSessionSettings {
  /** COOKIE_NAME and COOKIE_DOMAIN. */
  readonly sessionCookie: SessionCookieSpec;
  /** For the log: how users log in ("origin" for delegated login, "oidc"). */
  readonly via: string;
  /** ALLOWED_USERS; null for `"any"`. */
  readonly allowedUsers: Requirements | null;
  /** For the refusal page. */
  readonly brand: Brand;
}

export function sessionStarter(options: BeginSessionOptions): BeginSession {
  return async function beginSession(c, user, extras = {}) {
    if (options.allowedUsers) {
      const now = Date.now();
      const failed = unmetRequirement(options.allowedUsers, requestSubject(c.req.raw, user, extras.authenticatedAt === undefined ? now : extras.authenticatedAt, now));
      if (failed) {
        logWarning("login.user_not_allowed", { sub: user.sub, requirement: `ALLOWED_USERS.${failed}`, via: options.via });
        return { ok: false, refusal: await refusedAccount(c.req.raw, user, options.brand) };
      }
    }
    const presented = presentedPublicIds(c.get("credential"));
    await Promise.all(presented.map((publicId) => revokeSession(c.env, publicId, "login-replaced")));
    const realm = realmOf(c.get("url").hostname, options.sessionCookie.domain);
    const { token, session } = await createSession(c.env, options, realm, user, clientInfo(c.req.raw), extras);
    logEvent("login.succeeded", { session: session.id, realm, sub: session.user.sub, replaced: presented, via: options.via });
    return { ok: true, session, setCookie: sessionSetCookie(options.sessionCookie, token, options.absoluteTimeoutSeconds) };
  };
}

/** A page that says which account was refused (its email, else its id) and links to another sign-in. */
async function refusedAccount(request: Request, user: SessionUser, brand: Brand): Promise<Response> {
  if (!acceptsHtml(request)) return errorResponse("forbidden");
  const account = user.email ?? user.sub;
  // The page escapes the account's name (pages/layout.ts), and offers the provider's account choice.
  return errorPage(brand, "forbidden", {
    title: "Account not allowed",
    text: `The account ${account} may not use this site. Sign in with another account to continue.`,
  });
}
