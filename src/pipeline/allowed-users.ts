/**
 * ALLOWED_USERS on every request: a session whose user no longer meets it (the setting
 * changed after the login) is not used — no identity reaches the origin, not even on a public
 * route — and a request that needs a session gets 403, not a login prompt (policy/evaluate.ts:
 * the credential is then `excluded`). The log says which requirement failed; the client only
 * sees the generic refusal.
 */
import type { MiddlewareHandler } from "hono";
import { logEvent } from "../log";
import { requestSubject, unmetRequirement, type Requirements } from "../policy/requirements";
import type { GatewayEnv } from "./types";

export interface AllowedUsersOptions {
  /** ALLOWED_USERS; null for `"any"` (this step is then not installed). */
  readonly requirements: Requirements;
}

export function allowedUsers({ requirements }: AllowedUsersOptions): MiddlewareHandler<GatewayEnv> {
  return async function allowedUsers(c, next) {
    const credential = c.get("credential");
    if (credential.state === "live") {
      const { principal } = credential;
      const failed = unmetRequirement(requirements, requestSubject(c.req.raw, principal.session.user, principal.authenticatedAtMs, Date.now()));
      if (failed) {
        logEvent("access.user_not_allowed", { session: principal.session.id, requirement: `ALLOWED_USERS.${failed}`, path: c.get("canonicalPath") });
        c.set("credential", { state: "excluded", principal, requirement: "ALLOWED_USERS" });
      }
    }
    await next();
  };
}
