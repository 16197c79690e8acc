/**
 * Loads the caller's session: cookie → signature check at the edge → one touch RPC. It never
 * refuses a request by itself (require-access.ts decides); it only fails the request when the
 * session store cannot answer (503, fail closed). A forged or garbage cookie costs one HMAC
 * verification and no Durable Object call.
 */
import type { MiddlewareHandler } from "hono";
import { logEvent } from "../log";
import { readSessionCookie } from "../session/cookie";
import { touchSession } from "../session/store";
import { verifyToken } from "../session/token";
import type { GatewayEnv } from "./types";

export function loadSession(): MiddlewareHandler<GatewayEnv> {
  return async function loadSession(c, next) {
    const { config } = c.var;
    c.set("session", null);
    c.set("presentedPublicId", null);
    c.set("staleCookie", false);

    const cookie = readSessionCookie(c.req.header("cookie") ?? null, config.cookieName);
    if (cookie.kind === "ambiguous") {
      c.set("staleCookie", true);
      logEvent("session.cookie_ambiguous", { ip: clientIp(c.req.raw) });
    } else if (cookie.kind === "one") {
      const parts = await verifyToken(config.sessionKeys, cookie.value);
      if (!parts) {
        c.set("staleCookie", true);
        logEvent("session.cookie_invalid", { ip: clientIp(c.req.raw) });
      } else {
        c.set("presentedPublicId", parts.publicId);
        const result = await touchSession(c.env, parts);
        if (result.ok) {
          c.set("session", result.session);
        } else {
          c.set("staleCookie", true);
          logEvent("session.refused", { session: parts.publicId, reason: result.reason });
        }
      }
    }
    await next();
  };
}

export function clientIp(request: Request): string | null {
  return request.headers.get("cf-connecting-ip");
}
