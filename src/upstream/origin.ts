/**
 * The origin an allowed request goes to: the `ORIGIN` service binding, or fetch() to
 * ORIGIN_URL. config/ says which (an `OriginSetting`); this builds the one fetch used for it.
 */
import type { Env } from "../env";

export type OriginSetting = { readonly kind: "binding" } | { readonly kind: "url"; readonly url: URL };

export interface Origin {
  /** Sends a request to the origin. */
  fetch(request: Request): Promise<Response>;
  /** The base URL a forwarded path is resolved against; null: the request's own URL (a binding). */
  readonly baseUrl: URL | null;
}

export function originFor(setting: OriginSetting, env: Env): Origin {
  if (setting.kind === "binding") {
    const binding = env.ORIGIN!;
    return { fetch: (request) => binding.fetch(request), baseUrl: null };
  }
  return { fetch: (request) => fetch(request), baseUrl: setting.url };
}
