/** How the Durable Objects are named: a session by its public id, an index by its subject. */
import type { Env } from "../env";

export function sessionStub(env: Env, publicId: string) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(publicId));
}

export function userSessionsStub(env: Env, sub: string) {
  return env.USER_SESSIONS.get(env.USER_SESSIONS.idFromName(`user:${sub}`));
}
