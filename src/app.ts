/**
 * Builds the gateway: the one place where the order of the steps is decided.
 *
 *   config (invalid ⇒ 503) → canonical path (ambiguous ⇒ 400) → /_gateway/admin (bearer)
 *   → /_gateway/backchannel-logout (OIDC; no session) → load session → /_gateway/callback
 *   (OIDC) → /_gateway endpoints → route policy (401 / 302 / 403) → proxy to origin
 */
import { Hono, type ErrorHandler } from "hono";
import { canonicalizePath } from "./http/canonical-path";
import { loadConfig } from "./config/resolve";
import type { Env } from "./env";
import { errorResponse, GatewayError } from "./http/responses";
import { admin } from "./endpoints/admin";
import { endpoints } from "./endpoints/session";
import { loadSession } from "./pipeline/load-session";
import { proxyToOrigin } from "./upstream/proxy";
import { requireAccess } from "./pipeline/decide";
import type { GatewayEnv } from "./pipeline/types";
import { logError, logEvent } from "./log";
import { backchannelLogout } from "./auth/oidc/backchannel";
import { oidcCallback } from "./auth/oidc/callback";

export function createGateway(): ExportedHandler<Env> {
  const app = new Hono<GatewayEnv>();
  app.use(async function withConfig(c, next) {
    const result = await loadConfig(c.env);
    if (!result.ok) throw new GatewayError("unavailable", "invalid configuration");
    c.set("config", result.config);
    const url = new URL(c.req.url);
    c.set("url", url);
    c.set("canonicalPath", url.pathname);
    await next();
  });
  app.route("/_gateway/admin", admin);
  // Before the session load: the provider's call carries no cookie, and junk never wakes a DO.
  app.post("/_gateway/backchannel-logout", backchannelLogout());
  app.all("/_gateway/backchannel-logout", (c) => errorResponse(c.var.config.oidc ? "method_not_allowed" : "not_found", { Allow: "POST" }));
  app.use(loadSession());
  app.get("/_gateway/callback", oidcCallback());
  app.route("/_gateway", endpoints);
  app.all("/_gateway/*", () => errorResponse("not_found"));
  app.all("*", requireAccess(), proxyToOrigin());
  app.onError(handleError);

  return {
    async fetch(request, env, ctx) {
      try {
        const config = await loadConfig(env);
        if (!config.ok) return errorResponse("unavailable");
        const canonical = canonicalRequest(request, config.config.caseInsensitivePaths);
        if (canonical instanceof Response) return canonical;
        return await app.fetch(canonical, env, ctx);
      } catch (error) {
        logError("request.error", { error: String(error), stack: (error as Error).stack ?? null });
        return errorResponse("internal_error");
      }
    },
  };
}

/**
 * The request with its path canonicalized (canonical-path.ts), or a 400 refusal. The reserved
 * prefix is the gateway's in every spelling: `/_GATEWAY/…` is answered 404 here rather than
 * proxied, with whatever `Authorization` it carries, to an origin that ignores case.
 */
function canonicalRequest(request: Request, caseInsensitive: boolean): Request | Response {
  const url = new URL(request.url);
  const rawPath = rawPathOf(request.url);
  // A runtime that hands over the raw path could still carry a backslash WHATWG would rewrite.
  const canonical = canonicalizePath(rawPath.includes("\\") ? rawPath : url.pathname, { caseInsensitive });
  if (!canonical.ok) {
    logEvent("request.path_refused", { reason: canonical.reason, method: request.method });
    return errorResponse("bad_request");
  }
  if (RESERVED_ANY_CASE.test(canonical.path) && !RESERVED.test(canonical.path)) {
    logEvent("request.reserved_prefix_refused", { method: request.method });
    return errorResponse("not_found");
  }
  if (canonical.path === url.pathname) return request;
  url.pathname = canonical.path;
  return new Request(url, request);
}

const RESERVED = /^\/_gateway(?:\/|$)/;
const RESERVED_ANY_CASE = /^\/_gateway(?:\/|$)/i;

function rawPathOf(href: string): string {
  const afterScheme = href.indexOf("//") + 2;
  const pathStart = href.indexOf("/", afterScheme);
  if (pathStart === -1) return "/";
  const end = href.search(/[?#]/);
  return href.slice(pathStart, end === -1 ? undefined : end);
}

const handleError: ErrorHandler<GatewayEnv> = (error) => {
  if (error instanceof GatewayError) {
    const fields = { code: error.code, reason: error.reason };
    if (error.status >= 500) logError("request.failed", fields);
    else logEvent("request.refused", fields);
    // The limiter's window is a minute (wrangler.toml `period`).
    return errorResponse(error.code, error.code === "rate_limited" ? { "Retry-After": "60" } : {});
  }
  logError("request.error", { error: String(error), stack: error.stack ?? null });
  return errorResponse("internal_error");
};
