/**
 * The bare proxy plus one Durable Object RPC per request that does nothing but count in
 * memory: the floor under any "one object call per request" design on this runtime.
 */
import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";
import { proxy } from "hono/proxy";

interface Bindings {
  ORIGIN_URL: string;
  FLOOR: DurableObjectNamespace<FloorObject>;
}

export class FloorObject extends DurableObject<Bindings> {
  #touches = 0;

  async touch(): Promise<{ ok: true; touches: number }> {
    this.#touches++;
    return { ok: true, touches: this.#touches };
  }
}

const app = new Hono<{ Bindings: Bindings }>();

app.all("*", async function floorProxy(c) {
  const cookie = c.req.header("cookie") ?? "";
  const stub = c.env.FLOOR.get(c.env.FLOOR.idFromName(cookie));
  await stub.touch();
  const url = new URL(c.req.url);
  return proxy(new URL(`${url.pathname}${url.search}`, c.env.ORIGIN_URL), { raw: c.req.raw, redirect: "manual" });
});

export default app;
