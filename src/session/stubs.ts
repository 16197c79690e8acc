/**
 * How the Durable Objects are named: a session by its public id, an index by its kind and
 * name (a user's index is `user:<sub>`).
 */
import type { Env } from "../env";
import type { IndexRef } from "./types";

export function sessionStub(env: Env, publicId: string) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(publicId));
}

export function userIndex(sub: string, maxSessions = 0): IndexRef {
  return { kind: "user", name: `user:${sub}`, ...(maxSessions > 0 ? { maxSessions } : {}) };
}

export function indexStub(env: Env, ref: Pick<IndexRef, "kind" | "name">) {
  const namespace = ref.kind === "user" ? env.USER_SESSIONS : env.IDP_SESSIONS;
  return namespace.get(namespace.idFromName(ref.name));
}

export function userSessionsStub(env: Env, sub: string) {
  return indexStub(env, userIndex(sub));
}
