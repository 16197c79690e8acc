/**
 * The gateway's calls into the session Durable Objects. A call that takes too long, or fails
 * because of the platform (an error the runtime marks `retryable` or `overloaded`: a reset, a
 * lost connection, an overloaded object), becomes GatewayError("unavailable") — 503, fail
 * closed (docs/design.md "Sessions"). Any other error is a bug: it is thrown on as it is, and
 * app.ts logs it with its stack and answers 500 — never proxied, never hidden as a 503.
 */
import type { Env } from "../env";
import type { ClientInfo } from "../http/client";
import { DeadlineExceeded, withDeadline } from "../http/deadline";
import { GatewayError } from "../http/responses";
import { logEvent } from "../log";
import { sessionStub, userIndex, userSessionsStub } from "./stubs";
import { hashSecret, mintToken, type SessionKeys, type TokenParts } from "./token";
import type { EndReason, SessionExtras, SessionUser, SessionView, TouchClient, TouchResult, UserChanges } from "./types";

/** A session call that has not answered by then fails the request with 503. */
export const STORE_TIMEOUT_MS = 5000;

export interface NewSessionSettings {
  readonly sessionKeys: SessionKeys;
  readonly idleTimeoutSeconds: number;
  readonly absoluteTimeoutSeconds: number;
  readonly maxSessionsPerUser: number;
}


export async function createSession(
  env: Env,
  settings: NewSessionSettings,
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
      user,
      idleTimeoutSeconds: settings.idleTimeoutSeconds,
      absoluteTimeoutSeconds: settings.absoluteTimeoutSeconds,
      // The user's own index first: it applies the per-user cap.
      indexes: [userIndex(user.sub, settings.maxSessionsPerUser), ...(extras.indexes ?? [])],
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

/** Revokes at the user's logout; answers the login method's logout hint, if any. */
export function logoutSession(env: Env, publicId: string): Promise<{ wasLive: boolean; logoutHint: string | null }> {
  return call("logout", () => sessionStub(env, publicId).logout());
}

/** The log line of a logout that ended these sessions (the first is the one the request used). */
export function logLogout(publicIds: readonly string[], by: "user" | "origin"): void {
  logEvent("logout", { session: publicIds[0] ?? null, ...(publicIds.length > 1 ? { also: publicIds.slice(1) } : {}), by });
}

export function listUserSessions(env: Env, sub: string): Promise<SessionView[]> {
  return call("list", () => userSessionsStub(env, sub).list());
}

export function revokeUserSessions(env: Env, sub: string, reason: EndReason): Promise<number> {
  return call("revoke-all", () => userSessionsStub(env, sub).revokeAll(reason));
}

/** Changes the identity of every live session of the user; answers how many were live. */
export function updateUserSessions(env: Env, sub: string, changes: UserChanges): Promise<number> {
  return call("update-all", () => userSessionsStub(env, sub).updateAll(changes));
}

async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await withDeadline(STORE_TIMEOUT_MS, run);
  } catch (error) {
    if (error instanceof DeadlineExceeded || isPlatformFailure(error)) throw new GatewayError("unavailable", `session store ${what} failed: ${String(error)}`);
    throw error;
  }
}

/** Durable Object errors the runtime raises for infrastructure: they carry these flags. */
function isPlatformFailure(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const flags = error as { retryable?: unknown; overloaded?: unknown };
  return flags.retryable === true || flags.overloaded === true;
}
