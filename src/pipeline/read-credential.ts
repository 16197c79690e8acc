/**
 * The credential step: who is asking, as one value (credentials/credential.ts) that every
 * later step reads with `c.get("credential")`. The reader is chosen once per configuration
 * (app.ts); today it is the session cookie's.
 */
import type { MiddlewareHandler } from "hono";
import type { CredentialReader, GatewayEnv } from "./types";

export function readCredential(reader: CredentialReader): MiddlewareHandler<GatewayEnv> {
  return async function readCredential(c, next) {
    c.set("credential", await reader(c));
    await next();
  };
}
