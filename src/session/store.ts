/**
 * The gateway's calls into the session Durable Objects, each classified by durable-call.ts:
 * a timeout or a platform failure is 503, anything else a bug (500 with its stack).
 */
import type { Env } from "../env";
import type { ClientInfo } from "../http/client";
import { logEvent } from "../log";
import { durableCall } from "./durable-call";
import { sessionStub, userIndex, userSessionsStub } from "./stubs";
import { hashSecret, mintToken, type SessionKeys, type TokenParts } from "./token";
import type { EndReason, SessionExtras, SessionUser, SessionView, TouchClient, TouchResult, UserChanges } from "./types";

/** A session store call: 503 on a timeout or a platform failure, a bug thrown on as it is. */
const call = <T>(what: string, run: () => Promise<T>): Promise<T> => durableCall(`session store ${what}`, run);

export interface NewSessionSettings {
  readonly sessionKeys: SessionKeys;
  readonly idleTimeoutSeconds: number;
  readonly absoluteTimeoutSeconds: number;
  readonly maxSessionsPerUser: number;
}


export async function createSession(
  env: Env,
  settings: NewSessionSettings,
  realm: string,
  user: SessionUser,
  client: ClientInfo,
  extras: SessionExtras = {},
): Promise<{ token: string; session: SessionView }> {
  const { token, publicId, secret } = await mintToken(settings.sessionKeys);
  const secretHash = await hashSecret(secret);
  const session = await call("create", () =>
    sessionStub(env, publicId).create({
      publicId,
      secretHash,
      realm,
      user,
      idleTimeoutSeconds: settings.idleTimeoutSeconds,
      absoluteTimeoutSeconds: settings.absoluteTimeoutSeconds,
      // The user's own index first: it applies the per-user cap.
      indexes: [userIndex(realm, user.sub, settings.maxSessionsPerUser), ...(extras.indexes ?? [])],
      ...client,
      ...(extras.logoutHint ? { logoutHint: extras.logoutHint } : {}),
      ...(extras.authenticatedAt !== undefined ? { authenticatedAt: extras.authenticatedAt } : {}),
    }),
  );
  return { token, session };
}

export async function touchSession(env: Env, parts: TokenParts, client: TouchClient): Promise<TouchResult> {
  const secretHash = await hashSecret(parts.secret);
  return call("touch", async () => (await sessionStub(env, parts.publicId).touch(secretHash, client)) as TouchResult);
}

export function readSession(env: Env, publicId: string): Promise<SessionView | null> {
  return call("read", () => sessionStub(env, publicId).read());
}

export function revokeSession(env: Env, publicId: string, reason: EndReason): Promise<boolean> {
  return call("revoke", () => sessionStub(env, publicId).revoke(reason));
}

/**
 * A logout, asked for by the user or by the origin (X-Gateway-Logout): ends every session the
 * request presented (the first is the one it used; SECURITY.md X-02), logs it once, and
 * answers the login method's logout hint of the first that has one (OIDC: the ID token).
 */
export async function logoutSessions(env: Env, publicIds: readonly string[], by: "user" | "origin"): Promise<string | null> {
  const ended = await Promise.all(publicIds.map((publicId) => call("logout", () => sessionStub(env, publicId).logout())));
  logEvent("logout", { session: publicIds[0] ?? null, ...(publicIds.length > 1 ? { also: publicIds.slice(1) } : {}), by });
  return ended.find((result) => result.logoutHint)?.logoutHint ?? null;
}

/** A user's sessions are those of one realm (session/realm.ts), here and below. */
export function listUserSessions(env: Env, realm: string, sub: string): Promise<SessionView[]> {
  return call("list", () => userSessionsStub(env, realm, sub).list());
}

export function revokeUserSessions(env: Env, realm: string, sub: string, reason: EndReason): Promise<number> {
  return call("revoke-all", () => userSessionsStub(env, realm, sub).revokeAll(reason));
}

/** Changes the identity of every live session of the user; answers how many were live. */
export function updateUserSessions(env: Env, realm: string, sub: string, changes: UserChanges): Promise<number> {
  return call("update-all", () => userSessionsStub(env, realm, sub).updateAll(changes));
}
