/**
 * The credential step: who is asking, as one value (credentials/credential.ts) that every
 * later step reads with `c.get("credential")`. The readers are chosen once per configuration
 * (app.ts). On a rule that admits machines (a `principals` beyond `"user"`), an Authorization
 * header decides alone — the bearer reader's — and the session cookie is neither read nor
 * cleared; everywhere else, and on the gateway's own endpoints, the session cookie is the
 * credential and Authorization is the origin's business, passed on as it came.
 */
import type { MiddlewareHandler } from "hono";
import type { BearerReader } from "../credentials/bearer";
import { admitsMachines, type RoutePolicy } from "../policy/routes";
import type { CredentialReader, GatewayEnv } from "./types";

export interface ReadCredentialOptions {
  /** The session cookie's reader. */
  readonly cookie: CredentialReader;
  /** The bearer reader (service and workload tokens). */
  readonly bearer: BearerReader;
  /** ROUTES: which rule the request's own method meets, to know whether it admits machines. */
  readonly policy: RoutePolicy;
}

export function readCredential({ cookie, bearer, policy }: ReadCredentialOptions): MiddlewareHandler<GatewayEnv> {
  return async function readCredential(c, next) {
    c.set("credential", (machinesAdmitted() ? await bearer(c) : null) ?? (await cookie(c)));
    await next();

    function machinesAdmitted(): boolean {
      if (!policy.admitsMachines) return false;
      const path = c.get("canonicalPath");
      if (path === "/_gateway" || path.startsWith("/_gateway/")) return false;
      const access = policy.accessFor(c.req.method, path, c.get("url").hostname);
      return access !== null && admitsMachines(access);
    }
  };
}
