/**
 * The bare proxy: every request goes to ORIGIN_URL with hono/proxy, nothing else. It is the
 * denominator of every ratio in bench/RESULTS.md.
 */
import { Hono } from "hono";
import { proxy } from "hono/proxy";

interface Bindings {
  ORIGIN_URL: string;
}

const app = new Hono<{ Bindings: Bindings }>();

app.all("*", async function bareProxy(c) {
  const url = new URL(c.req.url);
  return proxy(new URL(`${url.pathname}${url.search}`, c.env.ORIGIN_URL), { raw: c.req.raw, redirect: "manual" });
});

export default app;
