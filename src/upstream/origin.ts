/**
 * The origins an allowed request goes to: a service binding, or fetch() to a base URL with an
 * optional path prefix. config/origins.ts says which (an `OriginSetting` per name); this
 * builds, once, the fetch and the target URL of each.
 */
import type { Env } from "../env";

export type OriginSetting =
  | { readonly kind: "binding"; /** The binding's name in the Worker's env. */ readonly binding: string }
  | { readonly kind: "url"; /** Scheme, host and port only. */ readonly url: URL; /** `""` or `/app`: the canonical path is appended to it. */ readonly pathPrefix: string };

export interface Origin {
  /** Sends a request to the origin. */
  fetch(request: Request): Promise<Response>;
  /**
   * Where a request goes at the origin: `url` carries the canonical path, `canonicalPath` it
   * alone. A string, parsed once by the Request it goes into.
   */
  targetOf(url: URL, canonicalPath: string): string;
}

export interface OriginOptions {
  /**
   * PRESERVE_HOST: the origin gets the client's Host. The request URL then names the client's
   * hostname and Cloudflare is told to connect to the origin's (`cf.resolveOverride`), which it
   * honours when both are in the Worker's zone; workerd has no other way to send a Host that
   * is not the URL's.
   */
  readonly preserveHost: boolean;
}

export function originFor(setting: OriginSetting, env: Env, options: OriginOptions): Origin {
  if (setting.kind === "binding") {
    const binding = (env as unknown as Record<string, Fetcher>)[setting.binding]!;
    // A Worker behind a binding sees the client's URL, Host included, whatever PRESERVE_HOST says.
    return { fetch: (request) => binding.fetch(request), targetOf: (url) => url.href };
  }
  const { url: base, pathPrefix } = setting;
  if (!options.preserveHost) {
    return {
      fetch: (request) => fetch(request),
      targetOf: (url, path) => `${base.origin}${pathPrefix}${path}${url.search}`,
    };
  }
  const port = base.port ? `:${base.port}` : "";
  const init: RequestInit<RequestInitCfProperties> = { cf: { resolveOverride: base.hostname } };
  return {
    fetch: (request) => fetch(request, init),
    targetOf: (url, path) => `${base.protocol}//${url.hostname}${port}${pathPrefix}${path}${url.search}`,
  };
}
