/**
 * The composition root: the configuration is resolved once per isolate (per bindings object),
 * the parts are chosen once from it, and each step gets only the options it needs. Every
 * request then runs the same fixed pipeline, in this order:
 *
 *   target (canonical path; 400, reserved prefix 404)
 *   → /_gateway/health (no cookie read, no Durable Object) → /_gateway/admin (bearer token)
 *   → /_gateway/jwks.json (with ASSERTION_KEYS) → the login method's endpoints without a session
 *   → credential (on a rule that admits machines, Authorization: Bearer → a service or workload
 *     principal; else cookie → signature → one touch → a user principal) → ALLOWED_USERS
 *   → the login method's endpoints → /_gateway endpoints
 *   → decision (the front builds an AccessRequest; policy/evaluate.ts decides, pure;
 *     answers/ renders 401 / 302 / 403 / 404) → terminal (the origin)
 *
 * An invalid configuration fails closed: every request gets 503 and nothing is proxied.
 */
import { Hono } from "hono";
import { decisionAnswer } from "./answers/render";
import { errorHandler } from "./answers/errors";
import { sessionStarter } from "./auth/begin-session";
import { delegatedLogin } from "./auth/delegated/method";
import type { LoginMethod } from "./auth/method";
import type { CallbackHostOptions } from "./auth/oidc/callback-host";
import { oidcLogin } from "./auth/oidc/method";
import { resolveConfig, type ResolvedConfig } from "./config/resolve";
import { adminApi } from "./endpoints/admin";
import { adminConsole, isConsolePath } from "./endpoints/admin-console";
import { jwksEndpoint } from "./endpoints/jwks";
import { healthEndpoint } from "./endpoints/health";
import { mySessions } from "./endpoints/my-sessions";
import { sessionEndpoints } from "./endpoints/session";
import type { Env } from "./env";
import { gatewayCookie } from "./http/cookies";
import { GatewayError } from "./http/responses";
import { DEFAULT_BRAND, type Brand } from "./pages/brand";
import { errorAnswer } from "./pages/error-pages";
import { stylesheetRoute } from "./pages/stylesheet-route";
import { STYLESHEET_PATH } from "./pages/style";
import { COALESCE_DIVISOR } from "./durable/expiry";
import { assertionPropagator } from "./identity/assertion";
import { assertionCache } from "./identity/assertion-cache";
import { headerPropagator } from "./identity/headers";
import type { IdentityPropagator } from "./identity/propagator";
import { liveConnections, type LiveOptions } from "./live/hold";
import { allowedUsers } from "./pipeline/allowed-users";
import { decide } from "./pipeline/decide";
import { readCredential } from "./pipeline/read-credential";
import { sessionCookieReader } from "./credentials/session-cookie";
import { bearerReader } from "./credentials/bearer";
import { jwksCache } from "./credentials/jwks-cache";
import { verifiedTokens } from "./credentials/verified-tokens";
import { serviceTokenCheck } from "./credentials/service-token";
import { watchService } from "./services/watch";
import { routingPath, target } from "./pipeline/target";
import type { GatewayEnv } from "./pipeline/types";
import { analyticsEngineMetrics } from "./observability/metrics";
import { decisionRecorder, logouts, observedBegin, requestClock, sessionRefusals } from "./observability/observe";
import { originFor } from "./upstream/origin";
import { proxyTerminal } from "./upstream/proxy";

/** What the Worker entry leaves at its defaults (src/index.ts); tests pass their own. */
export interface GatewayOptions {
  /**
   * The fetch every call to the OpenID Provider goes through (discovery, token, userinfo,
   * JWKS). Default: the global fetch. Tests pass one that fails as a network failure does.
   */
  readonly providerFetch?: typeof fetch;
  /** The fetch TRUSTED_ISSUERS' discovery and JWKS go through. Default: the global fetch. */
  readonly issuerFetch?: typeof fetch;
}

export function createGateway(options: GatewayOptions = {}): ExportedHandler<Env> {
  const apps = new WeakMap<Env, Promise<Hono<GatewayEnv>>>();
  return {
    async fetch(request, env, ctx) {
      let app = apps.get(env);
      if (!app) {
        app = buildApp(env, options);
        apps.set(env, app);
      }
      return (await app).fetch(request, env, ctx);
    },
  };
}

async function buildApp(env: Env, options: GatewayOptions): Promise<Hono<GatewayEnv>> {
  const result = await resolveConfig(env);
  if (!result.ok) return unavailable();
  return gateway(result.config, env, options);
}

/** The pipeline for one resolved configuration. */
export function gateway(config: ResolvedConfig, env: Env, options: GatewayOptions = {}): Hono<GatewayEnv> {
  const { sessionCookie } = config;
  const via = config.oidc ? "oidc" : "origin";
  // Workers Analytics Engine, when GATEWAY_METRICS is bound: one data point per decision and
  // per session event (observability/). Without it none of these steps is mounted.
  const metrics = analyticsEngineMetrics(env.GATEWAY_METRICS);
  const starter = sessionStarter({ ...config, via });
  const begin = metrics ? observedBegin(starter, metrics, via) : starter;
  const login: LoginMethod = config.oidc ? oidcLogin({ oidc: config.oidc, begin, hosts: oidcHosts(config), fetch: options.providerFetch }) : delegatedLogin({ loginUrl: config.loginUrl, isLoginRoute: config.isLoginRoute, isLoginCallbackRoute: config.isLoginCallbackRoute, begin });
  const originOptions = { preserveHost: config.preserveHost };
  const terminal = proxyTerminal({
    origins: new Map([...config.origins].map(([name, setting]) => [name, originFor(setting, env, originOptions)])),
    originTimeoutSeconds: config.originTimeoutSeconds,
    propagator: identityPropagator(config),
    live: liveConnections({ activityWindowMs: (config.idleTimeoutSeconds * 1000) / COALESCE_DIVISOR, maxPerSession: config.maxConnectionsPerSession, maxPerUser: config.maxConnectionsPerUser, watchService: serviceWatch(config) }),
    login,
    sessionCookie,
    isGatewayCookie: gatewayCookie(sessionCookie.name),
  });

  const targetOptions = { caseInsensitivePaths: config.caseInsensitivePaths };
  const app = new Hono<GatewayEnv>({ getPath: routingPath(targetOptions) });
  if (metrics) app.use(requestClock());
  app.use(target(targetOptions));
  app.route("/_gateway", healthEndpoint());
  app.route("/_gateway/admin", adminApi({ adminToken: config.adminToken, isConsolePath: config.adminRole ? isConsolePath : null, sharedDomain: sessionCookie.domain, sessionKeys: config.sessionKeys }));
  // Before the session: a page's stylesheet and the JWKS cost no session lookup.
  app.get(STYLESHEET_PATH, stylesheetRoute(config.brand));
  if (config.assertion) app.route("/_gateway", jwksEndpoint({ publishedKeys: config.assertion.keys.published }));
  if (login.beforeSession) app.route("/_gateway", login.beforeSession);
  // The credential readers, chosen once: the session cookie's, and on rules that admit
  // machines the bearer reader's (service and workload tokens).
  app.use(
    readCredential({
      cookie: sessionCookieReader({ sessionCookie, sessionKeys: config.sessionKeys, endSessionOnUserAgentChange: config.endSessionOnUserAgentChange }),
      bearer: bearerReader({
        // A few thousand busy workloads' tokens per isolate, each checked once while its keys hold.
        workload: config.trustedIssuers.length > 0 ? { issuers: config.trustedIssuers, cache: jwksCache(options.issuerFetch ? { fetch: options.issuerFetch } : {}), verified: verifiedTokens({ maxEntries: 2048 }) } : null,
        services: serviceTokenCheck(config.sessionKeys),
      }),
      policy: config.routePolicy,
    }),
  );
  if (metrics) app.use(sessionRefusals(metrics));
  if (config.allowedUsers) app.use(allowedUsers({ requirements: config.allowedUsers }));
  if (metrics) app.use("/_gateway/logout", logouts(metrics));
  if (login.routes) app.route("/_gateway", login.routes);
  if (config.adminRole) app.route("/_gateway", adminConsole({ adminRole: config.adminRole, sessionCookie, brand: config.brand, sessionKeys: config.sessionKeys }));
  app.route("/_gateway/sessions", mySessions({ sessionCookie, brand: config.brand }));
  app.route("/_gateway", sessionEndpoints({ login, sessionCookie, brand: config.brand }));
  app.all("/_gateway/*", () => {
    throw new GatewayError("not_found", "no such gateway endpoint");
  });
  app.all("*", decide({ policy: config.routePolicy, answer: decisionAnswer({ sessionCookie }), ...(metrics ? { onDecision: decisionRecorder(metrics) } : {}) }), terminal);
  app.onError(errorHandler(config.brand));
  return app;
}

/** What the OIDC login needs to know of the hosts the gateway serves (auth/oidc/callback-host.ts). */
function oidcHosts({ sessionCookie, routePolicy }: ResolvedConfig): CallbackHostOptions {
  return { sharedDomain: sessionCookie.domain, routesByHost: routePolicy.routesByHost, isServedHost: routePolicy.servesHost };
}

/**
 * The plain X-Auth-* headers, and with ASSERTION_KEYS the signed assertion beside them. Its
 * cache lives as long as this configuration (one isolate): a few thousand busy sessions' worth.
 */
function identityPropagator({ assertion }: ResolvedConfig): IdentityPropagator {
  const headers = headerPropagator();
  if (!assertion) return headers;
  return assertionPropagator(headers, {
    signingKey: assertion.keys.signing,
    issuer: assertion.issuer,
    audience: assertion.audience,
    originAudiences: assertion.originAudiences,
    cache: assertionCache({ maxEntries: 4096, minRemainingSeconds: 30 }),
  });
}

/**
 * A service's live connection is held under its credential's watch, tied to the secret that
 * opened it and to the roles it was authorized with; MAX_CONNECTIONS_PER_SESSION caps a
 * credential's connections as it caps a session's.
 */
function serviceWatch({ maxConnectionsPerSession }: ResolvedConfig): LiveOptions["watchService"] {
  return (c, principal, notAfterMs) => {
    const credential = principal.serviceCredential;
    if (!credential) throw new Error("a service principal without its credential");
    return watchService(c.env, credential.id, credential.secretHash, { roles: principal.roles, notAfterMs, maxConnections: maxConnectionsPerSession });
  };
}

function unavailable(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.all("*", (c) => errorAnswer(DEFAULT_BRAND, c.req.raw, "unavailable"));
  return app;
}
