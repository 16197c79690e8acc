import type { IdpSessions } from "./durable/idp-sessions";
import type { LogoutTokenReplay } from "./durable/logout-token-replay";
import type { SessionObject } from "./durable/session-object";
import type { UserSessions } from "./durable/user-sessions";

/**
 * The Worker's bindings. Settings arrive as strings from `.dev.vars`, `--var` and secrets, or
 * as TOML values (numbers, booleans, arrays, tables) from `[vars]`; config.ts accepts both.
 */
export interface Env {
  SESSIONS: DurableObjectNamespace<SessionObject>;
  USER_SESSIONS: DurableObjectNamespace<UserSessions>;
  /** OIDC mode: the sessions behind a provider `sid` or `sub` (back-channel logout). */
  IDP_SESSIONS: DurableObjectNamespace<IdpSessions>;
  /** OIDC mode: logout token ids already used (replay cache). */
  LOGOUT_TOKENS: DurableObjectNamespace<LogoutTokenReplay>;
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
  ORIGIN_TIMEOUT_SECONDS?: unknown;
  MAX_SESSIONS_PER_USER?: unknown;
  END_SESSION_ON_USER_AGENT_CHANGE?: unknown;
  /** Workers rate-limiting binding: forged-cookie attempts per client IP (optional). */
  COOKIE_FAILURE_LIMITER?: RateLimit;
  SESSION_SECRET?: string;
  ADMIN_TOKEN?: string;
  // OIDC mode (src/oidc/settings.ts)
  OIDC_ISSUER?: unknown;
  OIDC_CLIENT_ID?: unknown;
  OIDC_CLIENT_SECRET?: string;
  OIDC_REDIRECT_URI?: unknown;
  OIDC_POST_LOGOUT_REDIRECT_URI?: unknown;
  OIDC_SCOPES?: unknown;
  OIDC_SUB_CLAIM?: unknown;
  OIDC_EMAIL_CLAIM?: unknown;
  OIDC_NAME_CLAIM?: unknown;
  OIDC_ROLES_CLAIM?: unknown;
}
