/**
 * The session-cookie reader: cookie → signature check at the edge → one touch RPC → a `user`
 * principal (credentials/credential.ts says what else the cookie can turn out to be). It never
 * refuses a request by itself (policy/evaluate.ts decides); it only fails the request when the
 * session store cannot answer (503, fail closed), or with 429 past the forged-cookie limit. A
 * forged or garbage cookie costs one HMAC verification and no Durable Object call. A session
 * is a session only on a host of its realm (session/realm.ts): elsewhere the request goes on as
 * if it had sent no cookie — the session is not revoked, its cookie not cleared, a login here
 * does not end it — because it belongs to another app's login, which stays the only one that
 * can end it.
 */
import type { Context } from "hono";
import type { SessionKeys } from "../session/token";
import { logEvent, logWarning } from "../log";
import { clientInfo, clientIp } from "../http/client";
import { readSessionCookie, type SessionCookieSpec } from "../http/cookies";
import { realmOf } from "../session/realm";
import { touchSession } from "../session/store";
import { verifyToken } from "../session/token";
import type { CredentialReader, GatewayEnv } from "../pipeline/types";
import { NO_CREDENTIAL, type Credential } from "./credential";
import { userPrincipal } from "./principal";
import { limitCredentialFailures } from "./failure-limit";

export interface SessionCookieReaderOptions {
  /** COOKIE_NAME and COOKIE_DOMAIN. */
  readonly sessionCookie: SessionCookieSpec;
  /** SESSION_SECRET's keys: the first signs, all verify. */
  readonly sessionKeys: SessionKeys;
  /** END_SESSION_ON_USER_AGENT_CHANGE. */
  readonly endSessionOnUserAgentChange: boolean;
}

export function sessionCookieReader(options: SessionCookieReaderOptions): CredentialReader {
  return async function sessionCookieCredential(c: Context<GatewayEnv>): Promise<Credential> {
    const cookie = readSessionCookie(c.req.header("cookie") ?? null, options.sessionCookie.name);
    if (cookie.kind === "ambiguous") {
      // No session, and neither cookie is cleared: one of them may be the user's real one,
      // planted beside a copy (SECURITY.md X-02). A login or logout still ends every one of
      // them that verifies.
      const verified = await Promise.all(cookie.values.map((value) => verifyToken(options.sessionKeys, value)));
      const presentedPublicIds = [...new Set(verified.flatMap((parts) => (parts ? [parts.publicId] : [])))];
      logEvent("session.cookie_ambiguous", { ip: clientIp(c.req.raw), verifiable: presentedPublicIds.length });
      return { state: "ambiguous", presentedPublicIds };
    }
    if (cookie.kind !== "one") return NO_CREDENTIAL;
    const parts = await verifyToken(options.sessionKeys, cookie.value);
    if (!parts) {
      logEvent("session.cookie_invalid", { ip: clientIp(c.req.raw) });
      await limitCredentialFailures(c.env.COOKIE_FAILURE_LIMITER, clientIp(c.req.raw));
      return { state: "forged" };
    }
    const realm = realmOf(c.get("url").hostname, options.sessionCookie.domain);
    const result = await touchSession(c.env, parts, { realm, ...clientInfo(c.req.raw), endOnUserAgentChange: options.endSessionOnUserAgentChange });
    if (result.ok) return { state: "live", principal: userPrincipal(result.session) };
    if (result.reason === "other-realm") {
      logWarning("session.other_realm", { session: parts.publicId, realm, ip: clientIp(c.req.raw) });
      return NO_CREDENTIAL;
    }
    logEvent("session.refused", { session: parts.publicId, reason: result.reason });
    return { state: "ended", publicId: parts.publicId };
  };
}

