/**
 * `GET /_gateway/jwks.json` (RFC 7517 §5): the public halves of ASSERTION_KEYS, with which an
 * origin verifies `X-Auth-Assertion`. Public, no session needed, and meant to be cached: five
 * minutes, so a key added to ASSERTION_KEYS reaches the origins' caches before it signs
 * (docs/assertion.md, rotation). Mounted only when ASSERTION_KEYS is set; otherwise 404.
 */
import { Hono } from "hono";
import { errorResponse } from "../http/responses";
import type { GatewayEnv } from "../pipeline/types";

/** How long an origin or a cache may keep the JWKS. */
export const JWKS_MAX_AGE_SECONDS = 300;

export interface JwksOptions {
  /** Public JWKs only (identity/assertion-keys.ts never puts a private member in them). */
  readonly publishedKeys: readonly object[];
}

export function jwksEndpoint({ publishedKeys }: JwksOptions): Hono<GatewayEnv> {
  // Serialized once: the same bytes for every request.
  const body = JSON.stringify({ keys: publishedKeys });
  const endpoint = new Hono<GatewayEnv>();
  endpoint.get("/jwks.json", function jwks() {
    return new Response(body, {
      headers: {
        "Content-Type": "application/jwk-set+json",
        "Cache-Control": `public, max-age=${JWKS_MAX_AGE_SECONDS}`,
        "X-Content-Type-Options": "nosniff",
        // Any origin's server-side or browser code may fetch it: it holds public keys only.
        "Access-Control-Allow-Origin": "*",
      },
    });
  });
  endpoint.all("/jwks.json", () => errorResponse("method_not_allowed", { Allow: "GET, HEAD" }));
  return endpoint;
}
