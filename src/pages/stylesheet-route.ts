/** `GET /_gateway/assets/gateway.css`: the pages' stylesheet, public and cacheable for an hour. */
import type { Handler } from "hono";
import type { GatewayEnv } from "../pipeline/types";
import type { Brand } from "./brand";
import { stylesheet } from "./style";

export function stylesheetRoute(brand: Brand): Handler<GatewayEnv> {
  const css = stylesheet(brand);
  return function gatewayStylesheet() {
    return new Response(css, {
      headers: { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff" },
    });
  };
}
