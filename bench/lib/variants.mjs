// The three variants under comparison, how to log in to each, and what a forged cookie
// looks like to each. Secrets are random per run.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { EncryptJWT } from "jose";
import { MACHINE_ROLE } from "./gateway-config.mjs";

export const VARIANTS = ["bare", "client-side", "gateway"];

/** The benchmark's own workers; the gateway's config is derived from the project's (gateway-config.mjs). */
export const CONFIGS = {
  bare: "bench/workers/bare/wrangler.toml",
  "client-side": "bench/workers/client-side/wrangler.toml",
  "rpc-floor": "bench/workers/rpc-floor/wrangler.toml",
  micro: "bench/workers/micro/wrangler.toml",
};

export function newSecrets() {
  return {
    SESSION_SECRET: randomBytes(32).toString("base64url"),
    ADMIN_TOKEN: randomBytes(32).toString("base64url"),
    AUTH_SECRET: randomBytes(32).toString("hex"),
    // The gateway-assertion variant's signing key, as `npm run assertion-key` makes one.
    ASSERTION_KEYS: JSON.stringify([
      { ...generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" }), kid: "bench", alg: "ES256", use: "sig" },
    ]),
  };
}

/**
 * Worker definitions for runtime.startRuntime. Besides the three variants:
 * - `rpc-floor`: the bare proxy plus one no-op Durable Object call per request;
 * - `gateway-short-window`: the gateway with a 10 s idle timeout, so that its 1 s
 *   touch-coalescing window shows within a few seconds;
 * - `gateway-no-limiter`: the gateway without its COOKIE_FAILURE_LIMITER binding;
 * - `gateway-assertion`: the gateway with ASSERTION_KEYS, so every authenticated request also
 *   carries a signed X-Auth-Assertion (ES256; re-used per session while it has 30 s left).
 * - `gateway-policy`: the gateway with a realistic access policy (POLICY below).
 */
export function workerDefinitions({ originUrl, secrets, builds, configs, names = VARIANTS }) {
  const gatewayBindings = { ORIGIN_URL: originUrl, SESSION_SECRET: secrets.SESSION_SECRET, ADMIN_TOKEN: secrets.ADMIN_TOKEN };
  const definitions = {
    bare: { config: configs.bare, build: builds.bare, bindings: { ORIGIN_URL: originUrl } },
    "client-side": { config: configs["client-side"], build: builds["client-side"], bindings: { ORIGIN_URL: originUrl, AUTH_SECRET: secrets.AUTH_SECRET } },
    "rpc-floor": { config: configs["rpc-floor"], build: builds["rpc-floor"], bindings: { ORIGIN_URL: originUrl } },
    gateway: { config: configs.gateway, build: builds.gateway, bindings: gatewayBindings },
    "gateway-short-window": {
      config: configs.gateway,
      build: builds.gateway,
      bindings: { ...gatewayBindings, IDLE_TIMEOUT_SECONDS: String(SHORT_IDLE_TIMEOUT_SECONDS) },
    },
    "gateway-no-limiter": { config: configs["gateway-no-limiter"], build: builds.gateway, bindings: gatewayBindings },
    "gateway-assertion": { config: configs.gateway, build: builds.gateway, bindings: { ...gatewayBindings, ASSERTION_KEYS: secrets.ASSERTION_KEYS } },
    "gateway-policy": { config: configs.gateway, build: builds.gateway, bindings: { ...gatewayBindings, ...POLICY } },
  };
  return names.map((name) => ({ name, configPath: definitions[name].config, buildDir: definitions[name].build, bindings: definitions[name].bindings }));
}

export const SHORT_IDLE_TIMEOUT_SECONDS = 10;

/**
 * A realistic policy (README "Who gets in"): only the company's accounts get a session, and
 * everything not public needs a role, a company address, the office network and a sign-in
 * within the session's lifetime. The benchmark's logins (origin.mjs) and requests (the
 * `auth-policy` scenario's CF-Connecting-IP) meet all of it, so every key is evaluated.
 */
export const POLICY = {
  ALLOWED_USERS: JSON.stringify({ emailDomains: ["example.com", "*.example.com"] }),
  DEFAULT_ACCESS: JSON.stringify({
    roles: ["admin", "user"],
    emailDomains: ["example.com", "*.example.com"],
    ips: ["10.0.0.0/8", "2001:db8::/32", "192.0.2.0/24"],
    maxAuthAgeSeconds: 28800,
  }),
};

/**
 * Logs in through the variant (the origin answers with X-Gateway-Login); the cookie pair.
 * `roles`: the session's roles (default the origin's, `user`).
 */
export async function login(baseUrl, { roles } = {}) {
  const response = await fetch(`${baseUrl}/login${roles ? `?roles=${roles.join(",")}` : ""}`, { method: "POST" });
  await response.arrayBuffer();
  if (response.status !== 204) throw new Error(`login through ${baseUrl} answered ${response.status}`);
  const setCookie = response.headers.getSetCookie()[0];
  return setCookie ? setCookie.split(";")[0] : null;
}

/** A cookie each variant must refuse, shaped like a real one so it reaches the crypto. */
export async function forgedCookie(variant) {
  if (variant === "client-side") {
    // A well-formed JWE sealed with another key: decryption fails on the GCM tag.
    const jwe = await new EncryptJWT({ sid: "forged", sub: "mallory", roles: ["admin"] })
      .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
      .setIssuedAt()
      .encrypt(randomBytes(32));
    return `sid=${jwe}`;
  }
  // <public id>.<secret>.<mac>, each random base64url of the right length, so the token passes
  // the shape check and fails only at the HMAC verify (bare ignores it).
  const part = (bytes) => randomBytes(bytes).toString("base64url");
  return `__Host-session=${part(16)}.${part(16)}.${part(32)}`;
}

/**
 * `count` Authorization values, each a workload token of the bench's issuer (issuer.mjs) for its
 * own subject (`workload-<n>`) with MACHINE_ROLE, valid for the token's lifetime from now.
 */
export function workloadBearers(issuer, count) {
  return Promise.all(Array.from({ length: count }, async (_, index) => `Bearer ${await issuer.token(`workload-${index + 1}`, [MACHINE_ROLE])}`));
}

/**
 * `count` Authorization values, each the token of its own service credential (`bench-<n>`, with
 * MACHINE_ROLE) created through the gateway's admin API (`POST /_gateway/admin/services`).
 * Names are unique per gateway storage: call it once per storage directory.
 */
export function serviceBearers(baseUrl, adminToken, count) {
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const name = `bench-${index + 1}`;
      const response = await fetch(`${baseUrl}/_gateway/admin/services`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ name, roles: [MACHINE_ROLE] }),
      });
      const text = await response.text();
      if (response.status !== 201) throw new Error(`creating the service credential ${name} through ${baseUrl} answered ${response.status}: ${text}`);
      return `Bearer ${JSON.parse(text).token}`;
    }),
  );
}
