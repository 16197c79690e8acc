/**
 * env → ResolvedConfig (app.ts resolves it once per bindings object). Every problem is collected and reported together,
 * naming the setting, quoting the bad value (never a secret's) and stating the rule. An
 * invalid configuration fails closed: app.ts answers 503 to every request and proxies nothing.
 */
import {
  AccessSetting,
  AllowedUsersSetting,
  AuthModeSetting,
  BooleanSetting,
  LocalPathSetting,
  parseSetting,
  PathListSetting,
  PositiveInteger,
  quote,
  RoutesSetting,
  toAccess,
  WholeNumber,
} from "./schemas";
import type { Env } from "../env";
import { defaultOf } from "./settings";
import { logError, logWarning } from "../log";
import { compilePathSet, compileRoutePolicy, type RoutePolicy } from "../policy/routes";
import type { Requirements } from "../policy/requirements";
import { importSessionKeys, sessionSecrets, type SessionKeys } from "../session/token";
import { parseOidcSettings, type ResolvedOidcConfig } from "../auth/oidc/settings";
import type { OriginSetting } from "../upstream/origin";
import type { SessionCookieSpec } from "../http/cookies";
import { perHost, type PerHost } from "../policy/hosts";
import { originAudiences, originBindingNames, resolveOrigins, unknownOriginProblems } from "./origins";
import { cookieDomainProblems, resolveSessionCookie } from "./session-cookie";
import { parseBrand, type Brand } from "../pages/brand";
import { importTransactionKeys } from "../auth/oidc/transaction";
import { parseAssertionSettings, type ResolvedAssertionConfig } from "./assertion-settings";
import { originWarnings, shortIdleTimeoutWarning, unknownNameWarnings, type ConfigWarning } from "./warnings";
import { resolveTrustedIssuers, type TrustedIssuer } from "../credentials/trusted-issuers";
import { machineAccessProblems, machineAccessWarnings } from "./machine-access";

export interface ResolvedConfig {
  /** Every origin by name: `default` (ORIGIN or ORIGIN_URL) and ORIGINS (upstream/origin.ts builds each fetch). */
  readonly origins: ReadonlyMap<string, OriginSetting>;
  /** PRESERVE_HOST: URL origins get the client's Host. */
  readonly preserveHost: boolean;
  readonly routePolicy: RoutePolicy;
  /** ALLOWED_USERS: who may have a session at all; null for `"any"`. */
  readonly allowedUsers: Requirements | null;
  /** LOGIN_ROUTES, per host: whether an answer to this path may log a user in. */
  readonly isLoginRoute: (hostname: string, canonicalPath: string) => boolean;
  /** LOGIN_CALLBACK_ROUTES, per host: login routes a cross-site navigation may log in on. */
  readonly isLoginCallbackRoute: (hostname: string, canonicalPath: string) => boolean;
  readonly caseInsensitivePaths: boolean;
  readonly idleTimeoutSeconds: number;
  readonly absoluteTimeoutSeconds: number;
  /** COOKIE_NAME and COOKIE_DOMAIN. */
  readonly sessionCookie: SessionCookieSpec;
  /** LOGIN_URL, per host. */
  readonly loginUrl: PerHost<string>;
  /** OIDC mode's settings (src/oidc/settings.ts); null in delegated mode. */
  readonly oidc: ResolvedOidcConfig | null;
  readonly sessionKeys: SessionKeys;
  /** null: the admin API answers 404. */
  readonly adminToken: string | null;
  /** How long to wait for the origin's response headers before answering 504. */
  readonly originTimeoutSeconds: number;
  /** BRAND_*: what every gateway page shows. */
  readonly brand: Brand;
  /** ADMIN_ROLE: who gets the admin console; null: no console. */
  readonly adminRole: string | null;
  /** Live sessions per user; the oldest is revoked when a login exceeds it. 0: no cap. */
  readonly maxSessionsPerUser: number;
  /** End a session when a request comes with another User-Agent than the login's. */
  readonly endSessionOnUserAgentChange: boolean;
  /** Live WebSockets and streamed answers one session / one user may hold; 0: no cap (live/). */
  readonly maxConnectionsPerSession: number;
  readonly maxConnectionsPerUser: number;
  /** The signed assertion's keys and claims; null: ASSERTION_KEYS unset, no assertion. */
  readonly assertion: ResolvedAssertionConfig | null;
  /** TRUSTED_ISSUERS: whose JWTs are workload tokens; empty: none. */
  readonly trustedIssuers: readonly TrustedIssuer[];
}

/** Either way, the warnings (config/warnings.ts): legal, but probably not what was meant. */
export type ConfigResult = { ok: true; config: ResolvedConfig; warnings: ConfigWarning[] } | { ok: false; problems: string[]; warnings: ConfigWarning[] };


/** Browsers cap cookie lifetimes at 400 days (RFC 6265bis §5.5). */
const MAX_ABSOLUTE_TIMEOUT_SECONDS = 400 * 24 * 3600;
const MIN_SECRET_LENGTH = 32;

export async function resolveConfig(env: Env): Promise<ConfigResult> {
  const problems: string[] = [];
  const caseInsensitivePaths = parseSetting(problems, "CASE_INSENSITIVE_PATHS", env.CASE_INSENSITIVE_PATHS, BooleanSetting, false);
  const rules = parseSetting(problems, "ROUTES", env.ROUTES, RoutesSetting, []);
  const defaultAccess = parseSetting(problems, "DEFAULT_ACCESS", env.DEFAULT_ACCESS, AccessSetting, toAccess(defaultOf("DEFAULT_ACCESS")));
  const problemsBeforeTimeouts = problems.length;
  const idleTimeoutSeconds = parseSetting(problems, "IDLE_TIMEOUT_SECONDS", env.IDLE_TIMEOUT_SECONDS, PositiveInteger, defaultOf("IDLE_TIMEOUT_SECONDS"));
  const absoluteTimeoutSeconds = parseSetting(problems, "ABSOLUTE_TIMEOUT_SECONDS", env.ABSOLUTE_TIMEOUT_SECONDS, PositiveInteger, defaultOf("ABSOLUTE_TIMEOUT_SECONDS"));
  const timeoutsParsed = problems.length === problemsBeforeTimeouts;
  const sessionCookie = resolveSessionCookie(problems, env);
  const loginUrl = parseSetting(problems, "LOGIN_URL", env.LOGIN_URL, LocalPathSetting, [["*", defaultOf("LOGIN_URL")]] as [string, string][]);
  const loginRoutes = parseSetting(problems, "LOGIN_ROUTES", env.LOGIN_ROUTES, PathListSetting, [["*", [...defaultOf("LOGIN_ROUTES")]]] as [string, string[]][]);
  const loginCallbackRoutes = parseSetting(problems, "LOGIN_CALLBACK_ROUTES", env.LOGIN_CALLBACK_ROUTES, PathListSetting, [["*", [...defaultOf("LOGIN_CALLBACK_ROUTES")]]] as [string, string[]][]);
  const preserveHost = parseSetting(problems, "PRESERVE_HOST", env.PRESERVE_HOST, BooleanSetting, defaultOf("PRESERVE_HOST"));
  const authMode = parseSetting(problems, "AUTH_MODE", env.AUTH_MODE, AuthModeSetting, defaultOf("AUTH_MODE"));
  const originTimeoutSeconds = parseSetting(problems, "ORIGIN_TIMEOUT_SECONDS", env.ORIGIN_TIMEOUT_SECONDS, PositiveInteger, defaultOf("ORIGIN_TIMEOUT_SECONDS"));
  const maxSessionsPerUser = parseSetting(problems, "MAX_SESSIONS_PER_USER", env.MAX_SESSIONS_PER_USER, WholeNumber, defaultOf("MAX_SESSIONS_PER_USER"));
  const maxConnectionsPerSession = parseSetting(problems, "MAX_CONNECTIONS_PER_SESSION", env.MAX_CONNECTIONS_PER_SESSION, WholeNumber, defaultOf("MAX_CONNECTIONS_PER_SESSION"));
  const maxConnectionsPerUser = parseSetting(problems, "MAX_CONNECTIONS_PER_USER", env.MAX_CONNECTIONS_PER_USER, WholeNumber, defaultOf("MAX_CONNECTIONS_PER_USER"));
  const endSessionOnUserAgentChange = parseSetting(
    problems,
    "END_SESSION_ON_USER_AGENT_CHANGE",
    env.END_SESSION_ON_USER_AGENT_CHANGE,
    BooleanSetting,
    defaultOf("END_SESSION_ON_USER_AGENT_CHANGE"),
  );

  // Compared only when both parsed: a default standing in for a bad value would mislead.
  if (timeoutsParsed && absoluteTimeoutSeconds < idleTimeoutSeconds) {
    problems.push(`ABSOLUTE_TIMEOUT_SECONDS (${absoluteTimeoutSeconds}) must be at least IDLE_TIMEOUT_SECONDS (${idleTimeoutSeconds})`);
  }
  if (absoluteTimeoutSeconds > MAX_ABSOLUTE_TIMEOUT_SECONDS) {
    problems.push(`ABSOLUTE_TIMEOUT_SECONDS (${absoluteTimeoutSeconds}) must be at most ${MAX_ABSOLUTE_TIMEOUT_SECONDS} (400 days)`);
  }

  const adminRole = parseAdminRole(problems, env.ADMIN_ROLE);
  const brand = parseBrand(problems, { BRAND_NAME: env.BRAND_NAME, BRAND_LOGO_URL: env.BRAND_LOGO_URL, BRAND_COLOR: env.BRAND_COLOR });
  const origins = resolveOrigins(problems, env);
  if (origins) problems.push(...unknownOriginProblems(rules, origins));
  if (sessionCookie) problems.push(...cookieDomainProblems(sessionCookie, rules, env));
  const secrets = resolveSecrets(problems, env.SESSION_SECRET);
  const adminToken = resolveAdminToken(problems, env.ADMIN_TOKEN);
  const oidc = authMode === "oidc" ? parseOidcSettings(problems, env, sessionCookie?.name ?? "") : null;
  const assertion = await parseAssertionSettings(problems, env, originAudiences(env));
  const allowedUsers = resolveAllowedUsers(problems, env.ALLOWED_USERS, authMode);
  const trustedIssuers = resolveTrustedIssuers(problems, env.TRUSTED_ISSUERS);
  if (trustedIssuers) problems.push(...machineAccessProblems(rules, defaultAccess, trustedIssuers));

  const warnings = [
    ...unknownNameWarnings(env, originBindingNames(env)),
    ...originWarnings(env),
    ...(timeoutsParsed ? shortIdleTimeoutWarning(idleTimeoutSeconds) : []),
    ...machineAccessWarnings(rules, defaultAccess),
  ];
  for (const warning of warnings) logWarning(warning.event, { ...warning.fields, message: warning.message });
  if (problems.length > 0 || !origins || !secrets || !sessionCookie || !trustedIssuers) {
    logError("config.invalid", { problems });
    return { ok: false, problems, warnings };
  }
  return {
    ok: true,
    warnings,
    config: {
      origins,
      preserveHost,
      routePolicy: compileRoutePolicy({ rules, defaultAccess, caseInsensitivePaths }),
      allowedUsers,
      isLoginRoute: loginRouteSets(loginRoutes, caseInsensitivePaths),
      isLoginCallbackRoute: loginRouteSets(loginCallbackRoutes, caseInsensitivePaths),
      caseInsensitivePaths,
      idleTimeoutSeconds,
      absoluteTimeoutSeconds,
      sessionCookie,
      loginUrl: perHost(loginUrl),
      oidc: oidc ? { ...oidc, transactionKeys: await importTransactionKeys(secrets) } : null,
      sessionKeys: await importSessionKeys(secrets),
      adminToken,
      originTimeoutSeconds,
      maxSessionsPerUser,
      endSessionOnUserAgentChange,
      maxConnectionsPerSession,
      maxConnectionsPerUser,
      brand,
      adminRole,
      assertion,
      trustedIssuers,
    },
  };
}

/**
 * Delegated mode admits whom the origin logs in unless told otherwise. OIDC mode has no
 * default: behind a public provider (Google, GitHub, personal Microsoft accounts) "every
 * account the provider signs in" is everyone, so the operator must say so.
 */
function resolveAllowedUsers(problems: string[], value: unknown, authMode: "delegated" | "oidc"): Requirements | null {
  if ((value === undefined || value === "") && authMode === "oidc") {
    problems.push(
      'ALLOWED_USERS is not set: in OIDC mode it must say who may sign in, e.g. {"emailDomains": ["example.com"]}, or be "any" to admit every account the provider signs in',
    );
    return null;
  }
  return parseSetting(problems, "ALLOWED_USERS", value, AllowedUsersSetting, null);
}

/** LOGIN_ROUTES (or LOGIN_CALLBACK_ROUTES) compiled once per host pattern. */
function loginRouteSets(entries: readonly (readonly [string, readonly string[]])[], caseInsensitive: boolean): (hostname: string, path: string) => boolean {
  const sets = perHost(entries.map(([host, paths]) => [host, compilePathSet(paths, caseInsensitive)] as const));
  return (hostname, path) => sets.valueFor(hostname)(path);
}

function resolveSecrets(problems: string[], value: string | undefined): string[] | null {
  if (!value) {
    problems.push("SESSION_SECRET is not set: `wrangler secret put SESSION_SECRET` (or .dev.vars locally)");
    return null;
  }
  const secrets = sessionSecrets(value);
  const short = secrets.flatMap((secret, index) => (secret.length < MIN_SECRET_LENGTH ? [`#${index + 1} has ${secret.length}`] : []));
  if (short.length > 0) {
    problems.push(`SESSION_SECRET keys must be at least ${MIN_SECRET_LENGTH} characters each (key ${short.join(", key ")} characters)`);
    return null;
  }
  return secrets;
}

function resolveAdminToken(problems: string[], value: string | undefined): string | null {
  if (!value) return null;
  if (value.length < MIN_SECRET_LENGTH) {
    problems.push(`ADMIN_TOKEN must be at least ${MIN_SECRET_LENGTH} characters (it has ${value.length})`);
  }
  return value;
}

/** A role name as the identity carries it: printable ASCII without spaces, like any role. */
function parseAdminRole(problems: string[], value: unknown): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "string" || !/^[\x21-\x7e]{1,64}$/.test(value)) {
    problems.push("ADMIN_ROLE must be one role name: 1 to 64 printable ASCII characters, no spaces");
    return null;
  }
  return value;
}
