/**
 * SESSION_SECRET's keys, which sign and verify service tokens, for a caller the configuration
 * was not handed to: imported once per bindings object, from the very value config/resolve.ts
 * validated (the gateway answers 503 to everything while it is invalid). A caller given
 * `config.sessionKeys` (app.ts) uses those instead.
 */
import type { Env } from "../env";
import { importSessionKeys, sessionSecrets, type SessionKeys } from "../session/token";

const imported = new WeakMap<Env, Promise<SessionKeys>>();

export function sessionKeysOf(env: Env): Promise<SessionKeys> {
  let keys = imported.get(env);
  if (!keys) {
    keys = importSessionKeys(sessionSecrets(env.SESSION_SECRET ?? ""));
    imported.set(env, keys);
  }
  return keys;
}
