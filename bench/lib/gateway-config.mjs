// The gateway's benchmark config, derived at run time from the project's own wrangler.toml so
// that it always has the project's Durable Objects, rate limits and settings: the same config
// with `main` pointing at src/index.ts, no ORIGIN service binding (the origin is ORIGIN_URL, the
// loopback origin) and the routes the benchmark needs.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { experimental_readRawConfig } from "wrangler";
import { ROOT } from "./paths.mjs";

/** The role the machine rule asks for: the machine scenario's sessions, workloads and services have it. */
export const MACHINE_ROLE = "bench";

/**
 * Routes of the benchmark: the login route, /public/* to time the pipeline without a session,
 * and /machine/* that admits a user, a workload and a service alike when it has MACHINE_ROLE
 * (the machine scenario: the same request with each kind of credential).
 */
export const BENCH_ROUTES = [
  { path: "/login", access: "public" },
  { path: "/public/*", access: "public" },
  { path: "/machine/*", access: { principals: ["user", "workload", "service"], roles: [MACHINE_ROLE] } },
];

/**
 * Writes `<dir>/<name>.json`; returns its path. `trustedIssuers`: the TRUSTED_ISSUERS entries
 * (issuer.mjs), which the /machine/* rule needs (a rule admitting workloads without an issuer
 * is a configuration error). `withoutRateLimits` drops the project's rate limiting bindings
 * (COOKIE_FAILURE_LIMITER), to time a forged-cookie flood without them.
 */
export function writeGatewayConfig(dir, { name = "gateway", trustedIssuers, withoutRateLimits = false }) {
  if (!trustedIssuers?.length) throw new Error("writeGatewayConfig: trustedIssuers is required (the /machine/* rule admits workloads)");
  const { rawConfig } = experimental_readRawConfig({ config: path.join(ROOT, "wrangler.toml") });
  const config = {
    ...rawConfig,
    name: "bench-gateway",
    main: path.join(ROOT, rawConfig.main ?? "src/index.ts"),
    services: (rawConfig.services ?? []).filter((service) => service.binding !== "ORIGIN"),
    vars: { ...rawConfig.vars, ROUTES: BENCH_ROUTES, TRUSTED_ISSUERS: trustedIssuers },
    ...(withoutRateLimits ? { ratelimits: [] } : {}),
  };
  mkdirSync(dir, { recursive: true });
  const configPath = path.join(dir, `${name}.json`);
  writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`);
  return configPath;
}
