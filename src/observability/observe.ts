/**
 * Where the metrics are taken (app.ts mounts these only when GATEWAY_METRICS is bound): the
 * request's arrival, a login, a logout, a session cookie that no longer gives a session, and
 * (through decide's `onDecision`) every access decision. Each writes one data point.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { BeginSession } from "../auth/method";
import type { GatewayEnv } from "../pipeline/types";
import type { Decision } from "../policy/evaluate";
import type { Metrics } from "./metrics";

const sinceArrivalMs = (c: Context<GatewayEnv>) => Date.now() - c.get("receivedAtMs");

/** First step of the pipeline: when the request arrived. */
export function requestClock(): MiddlewareHandler<GatewayEnv> {
  return async function requestClock(c, next) {
    c.set("receivedAtMs", Date.now());
    await next();
  };
}

/** decide's hook: one data point per decision. */
export function decisionRecorder(metrics: Metrics) {
  return (c: Context<GatewayEnv>, decision: Decision) => metrics.decision({ ...decision, method: c.req.method, latencyMs: sinceArrivalMs(c) });
}

/** A login, however it happened: recorded once the session exists. */
export function observedBegin(begin: BeginSession, metrics: Metrics, via: string): BeginSession {
  return async function observedBegin(c, user, extras) {
    const started = await begin(c, user, extras);
    // A login ALLOWED_USERS refused created nothing: not a login.
    if (started.ok) metrics.sessionEvent({ outcome: "login", reason: via, method: c.req.method, latencyMs: sinceArrivalMs(c) });
    return started;
  };
}

/** After the session step: a verified cookie that gave no session (expired, idle, revoked). */
export function sessionRefusals(metrics: Metrics): MiddlewareHandler<GatewayEnv> {
  return async function sessionRefusals(c, next) {
    if (c.get("credential").state === "ended") {
      metrics.sessionEvent({ outcome: "refused", reason: "ended", method: c.req.method, latencyMs: sinceArrivalMs(c) });
    }
    await next();
  };
}

/** Around POST /_gateway/logout: a logout that was carried out (204, 303, or OIDC's 200 page). */
export function logouts(metrics: Metrics): MiddlewareHandler<GatewayEnv> {
  return async function logouts(c, next) {
    await next();
    if (c.res.status < 400) {
      metrics.sessionEvent({ outcome: "logout", reason: "user", method: c.req.method, latencyMs: sinceArrivalMs(c) });
    }
  };
}
