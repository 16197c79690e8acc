/**
 * The client-side session proxy: the session lives in a sealed cookie (`sid`, a JWE with
 * dir/A256GCM from @hono/session 0.2.1), so a request costs one decryption and no state
 * lookup, and a revoke cannot take effect before the cookie expires. Same protocol as the
 * gateway: the origin logs a user in by answering POST /login with `X-Gateway-Login`, and
 * requests with a session reach the origin with `X-Auth-*` identity headers.
 */
import { useSession, type SessionEnv } from "@hono/session";
import { Hono, type Context } from "hono";
import { proxy } from "hono/proxy";

/** The identity sealed into the cookie: what X-Gateway-Login carried. */
interface Identity extends Record<string, unknown> {
  sub: string;
  roles: string[];
}

type Env = SessionEnv<Identity> & { Bindings: { ORIGIN_URL: string; AUTH_SECRET: string } };

const SESSION_COOKIE = "sid";

const app = new Hono<Env>();

// The same lifetimes as the gateway's defaults: 30 min idle, 8 h absolute.
app.use(useSession<Identity>({ duration: { absolute: 8 * 3600, inactivity: 30 * 60 } }));

app.post("/login", async function login(c) {
  const response = await proxy(originUrl(c), { raw: c.req.raw, redirect: "manual" });
  const header = response.headers.get("x-gateway-login");
  response.headers.delete("x-gateway-login");
  const identity = header === null ? null : parseIdentity(header);
  if (identity) await c.var.session.update(identity);
  return response;
});

// What a logout can do with a sealed cookie: ask this browser to forget it. A copy of the
// cookie stays valid until it expires (bench: "revoke" scenario).
app.post("/logout", function logout(c) {
  c.var.session.delete();
  return c.body(null, 204);
});

app.all("*", async function forward(c) {
  const identity = await c.var.session.get();
  if (!identity) return c.json({ error: "unauthenticated" }, 401);
  return proxy(originUrl(c), { raw: c.req.raw, headers: identityHeaders(c, identity), redirect: "manual" });
});

function originUrl(c: Context<Env>): URL {
  const url = new URL(c.req.url);
  return new URL(`${url.pathname}${url.search}`, c.env.ORIGIN_URL);
}

/** Strip before inject, as the gateway does; the session cookie never reaches the origin. */
function identityHeaders(c: Context<Env>, identity: Identity): Headers {
  const headers = new Headers(c.req.raw.headers);
  for (const name of [...headers.keys()]) {
    const normalized = name.replaceAll("_", "-");
    if (normalized.startsWith("x-auth-") || normalized.startsWith("x-gateway-")) headers.delete(name);
  }
  const cookies = (headers.get("cookie") ?? "")
    .split(";")
    .map((part) => part.trim())
    .filter((part) => part !== "" && !part.startsWith(`${SESSION_COOKIE}=`));
  if (cookies.length > 0) headers.set("cookie", cookies.join("; "));
  else headers.delete("cookie");
  headers.set("X-Auth-User", identity.sub);
  headers.set("X-Auth-Roles", identity.roles.join(","));
  headers.set("X-Auth-Session", c.var.session.id ?? "");
  return headers;
}

function parseIdentity(header: string): Identity | null {
  try {
    const value = JSON.parse(header) as { sub?: unknown; roles?: unknown };
    if (typeof value.sub !== "string" || !Array.isArray(value.roles)) return null;
    return { sub: value.sub, roles: value.roles.filter((role): role is string => typeof role === "string") };
  } catch {
    return null;
  }
}

export default app;
