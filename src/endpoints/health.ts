/**
 * `GET /_gateway/health`: the gateway is up and its configuration is valid (an invalid one
 * answers 503 here as everywhere). Mounted before the session step (app.ts), so it never
 * reads a cookie or calls a Durable Object: a load balancer's probe costs nothing but the
 * Worker itself, and says nothing about any session.
 */
import { Hono } from "hono";
import { jsonResponse } from "../http/responses";
import type { GatewayEnv } from "../pipeline/types";

export function healthEndpoint(): Hono<GatewayEnv> {
  const endpoint = new Hono<GatewayEnv>();
  // Hono answers HEAD with the GET handler, without the body.
  endpoint.get("/health", function health() {
    return jsonResponse({ status: "ok" });
  });
  return endpoint;
}
