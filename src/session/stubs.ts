/**
 * How the Durable Objects are named: a session by its public id, an index by its kind and
 * name (a user's index is `["user",<realm>,<sub>]`: one per realm and subject).
 */
import type { Env } from "../env";
import type { IndexRef } from "./types";

export function sessionStub(env: Env, publicId: string) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(publicId));
}

/**
 * The user's index in one realm (session/realm.ts): listing, "revoke all" and the per-user
 * cap never reach the same subject's sessions at another app. JSON, so that no realm and
 * subject can spell another pair, nor the names of before realms (`user:<sub>`).
 */
export function userIndex(realm: string, sub: string, maxSessions = 0): IndexRef {
  return { kind: "user", name: JSON.stringify(["user", realm, sub]), ...(maxSessions > 0 ? { maxSessions } : {}) };
}

/** The index of a session recorded before records named their indexes (docs/storage.md). */
export function legacyUserIndex(sub: string): IndexRef {
  return { kind: "user", name: `user:${sub}` };
}

export function indexStub(env: Env, ref: Pick<IndexRef, "kind" | "name">) {
  const namespace = ref.kind === "user" ? env.USER_SESSIONS : env.IDP_SESSIONS;
  return namespace.get(namespace.idFromName(ref.name));
}

export function userSessionsStub(env: Env, realm: string, sub: string) {
  return indexStub(env, userIndex(realm, sub));
}
