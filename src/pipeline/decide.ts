/**
 * The proxy's front: it builds the AccessRequest (the method, the hostname, the canonical path,
 * the `_method` overrides the request carries — method-override.ts may read the body for them —
 * and where the client is), asks policy/evaluate.ts with the credential's principal, and lets
 * answers/ render a refusal. An allowed request goes on to the terminal at the origin its rule
 * names.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { DecisionAnswer } from "../answers/render";
import { principalOf } from "../credentials/credential";
import { evaluate, type AccessRequest, type Decision, type Excluded } from "../policy/evaluate";
import { overrideMethods } from "../policy/method-override";
import { requestClient } from "../policy/requirements";
import type { RoutePolicy } from "../policy/routes";
import type { GatewayEnv } from "./types";

export interface DecideOptions {
  /** ROUTES and DEFAULT_ACCESS, compiled once. */
  readonly policy: RoutePolicy;
  /** The renderer of refusals (answers/render.ts). */
  readonly answer: DecisionAnswer;
  /** Told every decision: how, the access and rule that decided it, and why (app.ts: metrics). */
  readonly onDecision?: (c: Context<GatewayEnv>, decision: Decision) => void;
}

export function decide({ policy, answer, onDecision }: DecideOptions): MiddlewareHandler<GatewayEnv> {
  return async function decide(c, next) {
    const url = c.get("url");
    const path = c.get("canonicalPath");
    const method = c.req.method;
    const host = url.hostname;
    const overrides = await overrideMethods(c.req.raw, url, () => policy.dependsOnMethod(method, path, host));
    const request: AccessRequest = { method, host, path, overrides, ...requestClient(c.req.raw) };
    const credential = c.get("credential");
    const asking = credential.state === "excluded" ? excluded : principalOf(credential);
    const decision = evaluate(policy, request, asking, Date.now());
    if (decision) {
      c.set("originName", decision.origin);
      onDecision?.(c, decision);
    }
    const refusal = answer(c, request, decision);
    if (refusal) return refusal;
    if (decision?.outcome === "allowed" && decision.reason !== "public") c.set("reauthenticateAtMs", decision.reauthenticateAtMs);
    return next();
  };
}

const excluded: Excluded = { kind: "excluded", requirement: "ALLOWED_USERS" };
