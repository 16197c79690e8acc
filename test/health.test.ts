/**
 * `/_gateway/health` answers without touching a Durable Object: every namespace here throws
 * when it is used, and a session cookie (valid or forged) is not even read.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { cookie, gatewayFetchIn, login, uniqueUser } from "./helpers";

/** A Durable Object namespace that records and refuses every use. */
function untouchable(name: string, touched: string[]): DurableObjectNamespace {
  return new Proxy({} as DurableObjectNamespace, {
    get(_target, property) {
      return () => {
        touched.push(`${name}.${String(property)}`);
        throw new Error(`${name} must not be used by the health check`);
      };
    },
  });
}

function envWithoutDurableObjects(touched: string[]): Env {
  const namespaces = ["SESSIONS", "USER_SESSIONS", "IDP_SESSIONS", "LOGOUT_TOKENS", "SERVICES", "SERVICE_DIRECTORY"] as const;
  return { ...(env as unknown as Env), ...Object.fromEntries(namespaces.map((name) => [name, untouchable(name, touched)])) } as Env;
}

describe("/_gateway/health", () => {
  it("answers 200 {status: ok}, never cached, without touching a Durable Object — even with a session cookie", async () => {
    const { token } = await login(uniqueUser());
    const touched: string[] = [];
    const bindings = envWithoutDurableObjects(touched);
    for (const headers of [{}, { cookie: cookie(token) }, { cookie: cookie("forged.forged.forged") }] as Record<string, string>[]) {
      const response = await gatewayFetchIn(bindings, "/_gateway/health", { headers });
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(await response.json()).toEqual({ status: "ok" });
    }
    const head = await gatewayFetchIn(bindings, "/_gateway/health", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(touched).toEqual([]);
  });

  it("is what the stand-in namespaces would catch: a session request through them does touch one", async () => {
    const { token } = await login(uniqueUser());
    const touched: string[] = [];
    const response = await gatewayFetchIn(envWithoutDurableObjects(touched), "/_gateway/session", { headers: { cookie: cookie(token) } });
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(touched.length).toBeGreaterThan(0);
  });

  it("answers 503 when the configuration is invalid, as every other path does", async () => {
    const response = await gatewayFetchIn({ ...(env as unknown as Env), COOKIE_NAME: "session" } as Env, "/_gateway/health");
    expect(response.status).toBe(503);
  });
});
