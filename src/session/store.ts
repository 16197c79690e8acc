/**
 * The gateway's calls into the session Durable Objects. Any failure or a call that takes too
 * long becomes GatewayError("unavailable") — 503, fail closed (DESIGN.md "Sessions").
 */
import type { Env } from "../env";
import { GatewayError } from "../http/responses";
import { sessionStub, userSessionsStub } from "./stubs";
import { hashSecret, mintToken, type SessionKeys, type TokenParts } from "./token";
import type { EndReason, IdpLink, SessionUser, SessionView, TouchClient, TouchResult } from "./types";

/** A session call that has not answered by then fails the request with 503. */
export const STORE_TIMEOUT_MS = 5000;

export interface NewSessionSettings {
  readonly sessionKeys: SessionKeys;
  readonly idleTimeoutSeconds: number;
  readonly absoluteTimeoutSeconds: number;
  readonly maxSessionsPerUser: number;
}

export interface ClientInfo {
  readonly clientIp?: string;
  readonly userAgent?: string;
}

export async function createSession(
  env: Env,
  settings: NewSessionSettings,
  user: SessionUser,
  client: ClientInfo,
  idp?: IdpLink,
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
      maxSessionsPerUser: settings.maxSessionsPerUser,
      ...client,
      ...(idp ? { idp } : {}),
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

/** Revokes at the user's logout; answers the ID token hint of an OIDC session, if any. */
export function logoutSession(env: Env, publicId: string): Promise<{ wasLive: boolean; idTokenHint: string | null }> {
  return call("logout", () => sessionStub(env, publicId).logout());
}

export function listUserSessions(env: Env, sub: string): Promise<SessionView[]> {
  return call("list", () => userSessionsStub(env, sub).list());
}

export function revokeUserSessions(env: Env, sub: string, reason: EndReason): Promise<number> {
  return call("revoke-all", () => userSessionsStub(env, sub).revokeAll(reason));
}

async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${STORE_TIMEOUT_MS} ms`)), STORE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([run(), timeout]);
  } catch (error) {
    throw new GatewayError("unavailable", `session store ${what} failed: ${String(error)}`);
  } finally {
    clearTimeout(timer);
  }
}
