import type { SettingsEnv } from "./config/settings";
import type { IdpSessions } from "./durable/idp-sessions";
import type { LogoutTokenReplay } from "./durable/logout-token-replay";
import type { ServiceCredential } from "./durable/service-credential";
import type { ServiceDirectory } from "./durable/service-directory";
import type { SessionObject } from "./durable/session-object";
import type { UserSessions } from "./durable/user-sessions";

/**
 * The Worker's bindings. The settings come from the one table in config/settings.ts; they
 * arrive as strings from `.dev.vars`, `--var` and secrets, or as TOML values (numbers,
 * booleans, arrays, tables) from `[vars]`; config/resolve.ts accepts both.
 */
export interface Env extends SettingsEnv {
  SESSIONS: DurableObjectNamespace<SessionObject>;
  USER_SESSIONS: DurableObjectNamespace<UserSessions>;
  /** OIDC mode: the sessions behind a provider `sid` or `sub` (back-channel logout). */
  IDP_SESSIONS: DurableObjectNamespace<IdpSessions>;
  /** OIDC mode: logout token ids already used (replay cache). */
  LOGOUT_TOKENS: DurableObjectNamespace<LogoutTokenReplay>;
  /** Service credentials, one object per credential id (docs/service-credentials.md). */
  SERVICES: DurableObjectNamespace<ServiceCredential>;
  /** The one directory of service credentials by name (`idFromName("services")`). */
  SERVICE_DIRECTORY: DurableObjectNamespace<ServiceDirectory>;
  /** The origin as a service binding; used instead of ORIGIN_URL when present. */
  ORIGIN?: Fetcher;
  /** Workers rate-limiting binding: forged-cookie attempts per client IP (optional). */
  COOKIE_FAILURE_LIMITER?: RateLimit;
  /** Workers Analytics Engine: one data point per decision and session event (optional). */
  GATEWAY_METRICS?: AnalyticsEngineDataset;
}
