/**
 * The gateways the black-box files share. test/e2e/global-setup.ts starts each of them once per
 * run, in the background while the workers project runs, each in front of its own echo origin
 * in vitest's main process. A file waits for its gateway (`useGateway`), and reads what the
 * origin received and what the gateway logged from files the setup writes as it goes.
 *
 * Files run one at a time (vitest.config.ts), so within a file nothing else reaches a gateway:
 * `observe` still sees only the requests the file caused. Each file keeps its own subjects
 * (`t01-user`, `a02-all`, …) so the sessions of one file never meet another's.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { inject } from "vitest";
import type { EchoRecord, OriginRecords } from "./harness";
import { ROUTES } from "./helpers";

/** `/reports/*` public for GET (and HEAD) only: a method-specific rule (R-07). */
export const REPORTS_GET_PUBLIC = { path: "/reports/*", methods: ["GET"], access: "public" };

/**
 * The shared gateway's assertion keys (test/e2e/assertion.test.ts): the ES256 one signs, both
 * are published. Made for these tests with `npm run assertion-key`; never use them elsewhere.
 */
export const E2E_ASSERTION_KEYS = [
  { kty: "EC", crv: "P-256", x: "9vl6uCMsr2PMzrd4PX3YoyDhxFnQLo7o0jJ8gGsBwSk", y: "4tMXSI4Nw-y33aH4GEalqlArePm6iiG3Hyim7IeMkuA", d: "vdtVEjWHoX-guPA5T7yX__JEVWkc68kCnRa86aeNh2g", kid: "e2e-es256", alg: "ES256", use: "sig" },
  { kty: "OKP", crv: "Ed25519", x: "EvtW4TSYWr6DqFSjLFUoAXmJCuDlcmIqiMsNcjbfFgo", d: "4jJ4uVRii6R_oObImqQ5Hv8T9UskALt4YVjwl18XLb8", kid: "e2e-ed25519", alg: "EdDSA", use: "sig" },
];

/** The assertion's audience on the shared gateway; its issuer is the default, `https://127.0.0.1:<port>`. */
export const E2E_ASSERTION_AUDIENCE = "e2e-origin";

/**
 * `/blog/*`: a public blog routed by path to another origin beside the app, on the same host
 * (test/e2e/assertion.test.ts: its assertions have an audience of their own). The origin is
 * the same echo server under a prefix (`sharedOrigins`).
 */
export const BLOG_PUBLIC = { path: "/blog/*", access: "public", origin: "blog" };

/** The audience of the shared gateway's workload tokens (test/e2e/machines.test.ts). */
export const WORKLOAD_AUDIENCE = "e2e-gateway";

/**
 * The shared gateway's TRUSTED_ISSUERS names, each a tenant of the local workload issuer
 * (test/workload/issuer.mjs) at `<its origin>/<name>`: "ci" and "other" for the rules below,
 * "flaky" for an issuer whose JWKS fails (its failures are remembered 5 s, and keys are kept
 * up to an hour, so it gets an entry of its own that nothing else uses).
 */
export const WORKLOAD_ISSUERS = ["ci", "other", "flaky"] as const;

/**
 * Rules that admit machines (test/e2e/machines.test.ts), before the others: the first match
 * wins, and no other file sends a path under /machines/. Each is narrowed (`issuers`, `services`), so the
 * gateway logs no config.machines_unnarrowed warning.
 */
export const MACHINE_ROUTES = [
  { path: "/machines/ci/*", access: { principals: ["workload"], issuers: ["ci"], claims: { repository: ["acme/api"] } } },
  { path: "/machines/mixed/*", access: { principals: ["user", "workload"], issuers: ["ci"] } },
  { path: "/machines/flaky/*", access: { principals: ["workload"], issuers: ["flaky"] } },
  { path: "/machines/deploy/*", access: { principals: ["service"], services: ["e2e-deploy"] } },
];

/** The common settings: most files need nothing else (TRUSTED_ISSUERS is added at run time: trustedIssuersSetting). */
export const SHARED_SETTINGS = {
  ROUTES: [...MACHINE_ROUTES, ...ROUTES, REPORTS_GET_PUBLIC, BLOG_PUBLIC],
  IDLE_TIMEOUT_SECONDS: 600,
  ABSOLUTE_TIMEOUT_SECONDS: 3600,
  // The admin console, for test/e2e/browser.test.ts.
  ADMIN_ROLE: "ops",
  // A secret in production; a var is the same string to the Worker.
  ASSERTION_KEYS: JSON.stringify(E2E_ASSERTION_KEYS),
  ASSERTION_AUDIENCE: E2E_ASSERTION_AUDIENCE,
};

/** Settings as `[vars]` per gateway (the OIDC one's depend on its provider: global-setup.ts). */
export const GATEWAY_SETTINGS = {
  shared: SHARED_SETTINGS,
  /** Real-time expiry in seconds (test/e2e/timeouts.test.ts). */
  timeouts: { ROUTES, IDLE_TIMEOUT_SECONDS: 2, ABSOLUTE_TIMEOUT_SECONDS: 4 },
  /** Its origin is stopped by test/e2e/origin-failures.test.ts. */
  originDown: { ROUTES },
} as const;

export type GatewayName = keyof typeof GATEWAY_SETTINGS | "oidc";

/** ORIGINS of a gateway, which name its echo origin's URL, known only when the setup starts it. */
export function originsSetting(name: GatewayName, originUrl: string): { ORIGINS?: Record<string, string> } {
  return name === "shared" ? { ORIGINS: { blog: `${originUrl}/blog-origin` } } : {};
}

/**
 * TRUSTED_ISSUERS of a gateway: the shared one trusts WORKLOAD_ISSUERS at the local workload
 * issuer, whose port is known only when the setup starts it.
 */
export function trustedIssuersSetting(name: GatewayName, issuerOrigin: string): { TRUSTED_ISSUERS?: { name: string; issuer: string; audiences: string[] }[] } {
  if (name !== "shared") return {};
  return { TRUSTED_ISSUERS: WORKLOAD_ISSUERS.map((issuer) => ({ name: issuer, issuer: `${issuerOrigin}/${issuer}`, audiences: [WORKLOAD_AUDIENCE] })) };
}

/** The gateway's client at the local OpenID Provider (test/e2e/oidc-provider-logout.test.ts). */
export const OIDC_CLIENT = { id: "gateway-e2e", secret: "gateway-e2e-client-secret-0123456789abcdef" };

export interface GatewayInfo {
  /** `--persist-to` directory: Durable Object storage lives under `v3/do/<script>-<Class>/`. */
  readonly stateDir: string;
  /** Everything wrangler printed, as it printed it. */
  readonly logFile: string;
  /**
   * Written once the gateway is ready (`{"ready":true,"port":N}`: its port is chosen when it
   * starts, so that no other process can have taken it since) or failed (`{"error":"…"}`).
   */
  readonly statusFile: string;
  /** The gateway's echo origin: the control server's name for it, and its records file. */
  readonly origin: { readonly name: string; readonly url: string; readonly port: number; readonly recordsFile: string };
}

export interface E2EContext {
  /** The control server: `POST /origins/<name>/stop` and `…/start`. */
  readonly controlUrl: string;
  readonly gateways: Record<GatewayName, GatewayInfo>;
  readonly oidc: { readonly issuer: string; /** The provider's events, one a line. */ readonly eventsFile: string };
  /**
   * The local workload issuer (test/workload/issuer.mjs): `http://127.0.0.1:<port>`, a tenant
   * per WORKLOAD_ISSUERS name under it, each controlled with `PUT <origin>/<name>/_control`.
   */
  readonly workloadIssuer: { readonly origin: string };
}

declare module "vitest" {
  export interface ProvidedContext {
    e2e: E2EContext;
  }
}

// ---- in the test files --------------------------------------------------------------------------

/** A gateway started by the setup: what GatewayProcess offers, but its log is read from a file. */
export interface SharedGateway {
  readonly url: string;
  readonly port: number;
  readonly stateDir: string;
  /** Everything wrangler printed so far (one string). */
  readonly output: readonly string[];
}

/** An origin in vitest's main process: its records file, and the control server to stop it. */
export interface RemoteOrigin extends OriginRecords {
  /** Everything it received so far. */
  received(): Promise<EchoRecord[]>;
  /** Stops listening and drops its connections: nothing listens at its URL any more. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

const READY_TIMEOUT_MS = 120_000;

/** The named gateway and its origin, once the gateway is ready. */
export async function useGateway(name: GatewayName): Promise<{ gateway: SharedGateway; origin: RemoteOrigin }> {
  const context = inject("e2e");
  const info = context.gateways[name];
  const port = await waitUntilReady(name, info);
  const gateway: SharedGateway = {
    url: `http://127.0.0.1:${port}`,
    port,
    stateDir: info.stateDir,
    get output() {
      return [readFileSync(info.logFile, "utf8")];
    },
  };
  return { gateway, origin: remoteOrigin(context.controlUrl, info.origin) };
}

/** The local OpenID Provider's issuer and the events it has emitted so far. */
export function oidcProvider(): { issuer: string; events(): string[] } {
  const { oidc } = inject("e2e");
  return {
    issuer: oidc.issuer,
    events: () => (existsSync(oidc.eventsFile) ? readFileSync(oidc.eventsFile, "utf8").split("\n").filter(Boolean) : []),
  };
}

/** The local workload issuer's origin (its tenants are `<origin>/<name>`). */
export function workloadIssuerOrigin(): string {
  return inject("e2e").workloadIssuer.origin;
}

/** The gateway's port, once it is ready. */
async function waitUntilReady(name: GatewayName, info: GatewayInfo): Promise<number> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (existsSync(info.statusFile)) {
      const status = JSON.parse(readFileSync(info.statusFile, "utf8")) as { ready?: true; port?: number; error?: string };
      if (status.ready && status.port) return status.port;
      throw new Error(`the ${name} gateway did not start: ${status.error}`);
    }
    if (Date.now() > deadline) throw new Error(`the ${name} gateway was not ready within ${READY_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function remoteOrigin(controlUrl: string, origin: GatewayInfo["origin"]): RemoteOrigin {
  // Marks are byte offsets into the records file, one JSON line per request.
  const size = () => (existsSync(origin.recordsFile) ? statSync(origin.recordsFile).size : 0);
  const since = async (from: number): Promise<EchoRecord[]> => {
    if (!existsSync(origin.recordsFile)) return [];
    const fd = openSync(origin.recordsFile, "r");
    try {
      const length = fstatSync(fd).size - from;
      if (length <= 0) return [];
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, from);
      return buffer
        .toString("utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as EchoRecord);
    } finally {
      closeSync(fd);
    }
  };
  const post = async (action: string) => {
    const response = await fetch(`${controlUrl}/origins/${origin.name}/${action}`, { method: "POST" });
    if (!response.ok) throw new Error(`control server: ${response.status} ${await response.text()}`);
  };
  return {
    url: origin.url,
    port: origin.port,
    mark: async () => size(),
    since,
    received: () => since(0),
    stop: () => post("stop"),
    start: () => post("start"),
  };
}

