/**
 * The first step: what is asked. The path is canonicalized (http/canonical-path.ts) or the
 * request refused with 400 (414 for a path over the length or segment limit, before any rule is
 * tried: SECURITY.md R4), so that every later step decides on the path that is forwarded.
 * The reserved prefix is the gateway's in every spelling: `/_GATEWAY/…` is answered 404 here
 * rather than proxied, with whatever `Authorization` it carries, to an origin that ignores case
 * (SECURITY.md X-08).
 */
import type { MiddlewareHandler } from "hono";
import { canonicalizePath, type CanonicalPath } from "../http/canonical-path";
import { GatewayError } from "../http/responses";
import type { GatewayEnv } from "./types";

export interface TargetOptions {
  /** CASE_INSENSITIVE_PATHS: refuse characters that fold to ASCII as well. */
  readonly caseInsensitivePaths: boolean;
}

const RESERVED = /^\/_gateway(?:\/|$)/;
const RESERVED_ANY_CASE = /^\/_gateway(?:\/|$)/i;

/**
 * The canonical path of a request, worked out once: the router matches on it (Hono's
 * `getPath`, app.ts) and the target step reads it back, so `/_gateway/%61dmin` is routed as
 * `/_gateway/admin` and authorized as it is forwarded.
 */
export function canonicalPathOf(request: Request, options: TargetOptions): CanonicalPath {
  return targetOf(request, options).canonical;
}

/** The parsed URL and the canonical path, per request: both are worked out once. */
function targetOf(request: Request, options: TargetOptions): { url: URL; canonical: CanonicalPath } {
  let found = targets.get(request);
  if (!found) {
    const url = new URL(request.url);
    const rawPath = rawPathOf(request.url);
    // A runtime that hands over the raw path could still carry a backslash WHATWG would rewrite.
    const canonical = canonicalizePath(rawPath.includes("\\") ? rawPath : url.pathname, { caseInsensitive: options.caseInsensitivePaths });
    found = { url, canonical };
    targets.set(request, found);
  }
  return found;
}

const targets = new WeakMap<Request, { url: URL; canonical: CanonicalPath }>();

/** For the router: the canonical path, or the raw one for a request the target step refuses. */
export function routingPath(options: TargetOptions): (request: Request) => string {
  return (request) => {
    const canonical = canonicalPathOf(request, options);
    return canonical.ok ? canonical.path : rawPathOf(request.url);
  };
}

export function target(options: TargetOptions): MiddlewareHandler<GatewayEnv> {
  return async function target(c, next) {
    const { url, canonical } = targetOf(c.req.raw, options);
    if (!canonical.ok) throw new GatewayError(canonical.tooLong ? "uri_too_long" : "bad_request", `path refused: ${canonical.reason}`);
    if (RESERVED_ANY_CASE.test(canonical.path) && !RESERVED.test(canonical.path)) throw new GatewayError("not_found", "the reserved prefix in another case");
    url.pathname = canonical.path;
    c.set("url", url);
    c.set("canonicalPath", canonical.path);
    await next();
  };
}

function rawPathOf(href: string): string {
  const afterScheme = href.indexOf("//") + 2;
  const pathStart = href.indexOf("/", afterScheme);
  if (pathStart === -1) return "/";
  const end = href.search(/[?#]/);
  return href.slice(pathStart, end === -1 ? undefined : end);
}
