/** How the service credentials' Durable Objects are named: one per credential id, and one directory. */
import type { Env } from "../env";

export function serviceStub(env: Env, id: string) {
  return env.SERVICES.get(env.SERVICES.idFromName(id));
}

export function directoryStub(env: Env) {
  return env.SERVICE_DIRECTORY.get(env.SERVICE_DIRECTORY.idFromName("services"));
}
