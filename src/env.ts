import type { SessionObject } from "./session/session-object";
import type { UserSessions } from "./session/user-sessions";

/**
 * The Worker's bindings. Settings arrive as strings from `.dev.vars`, `--var` and secrets, or
 * as TOML values (numbers, booleans, arrays, tables) from `[vars]`; config.ts accepts both.
 */
export interface Env {
  SESSIONS: DurableObjectNamespace<SessionObject>;
  USER_SESSIONS: DurableObjectNamespace<UserSessions>;
  /** The origin as a service binding; used instead of ORIGIN_URL when present. */
  ORIGIN?: Fetcher;
  ORIGIN_URL?: string;
  ROUTES?: unknown;
  DEFAULT_ACCESS?: unknown;
  CASE_INSENSITIVE_PATHS?: unknown;
  IDLE_TIMEOUT_SECONDS?: unknown;
  ABSOLUTE_TIMEOUT_SECONDS?: unknown;
  COOKIE_NAME?: unknown;
  LOGIN_URL?: unknown;
  LOGIN_ROUTES?: unknown;
  AUTH_MODE?: unknown;
  SESSION_SECRET?: string;
  ADMIN_TOKEN?: string;
}
