import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/** Settings every test file starts from; tests that need others pass their own env. */
export const testBindings = {
  // Every setting the tests rely on is named here, so a developer's .dev.vars cannot change them.
  DEFAULT_ACCESS: "session",
  CASE_INSENSITIVE_PATHS: "false",
  COOKIE_NAME: "__Host-session",
  LOGIN_URL: "/login",
  LOGIN_ROUTES: JSON.stringify(["/login"]),
  LOGIN_CALLBACK_ROUTES: JSON.stringify([]),
  AUTH_MODE: "delegated",
  SESSION_SECRET: "test-signing-key-0123456789abcdef0123456789,test-old-key-0123456789abcdef0123456789abc",
  ADMIN_TOKEN: "test-admin-token-0123456789abcdef0123456789",
  IDLE_TIMEOUT_SECONDS: "600",
  ABSOLUTE_TIMEOUT_SECONDS: "3600",
  // No signed assertion unless a test asks for one (test/assertion*.test.ts); "" reads as unset.
  ASSERTION_KEYS: "",
  ASSERTION_ISSUER: "",
  ASSERTION_AUDIENCE: "",
  TRUSTED_ISSUERS: "",
  ROUTES: JSON.stringify([
    { path: "/public/*", access: "public" },
    { path: "/login", access: "public" },
    { path: "/not-login", access: "public" },
    { path: "/admin{/*}?", access: { roles: ["admin"] } },
    { path: "/reports/*", methods: ["GET"], access: { roles: ["analyst", "admin"] } },
    { path: "/reports/*", methods: ["POST"], access: { roles: ["admin"] } },
    { path: "/ws", access: "session" },
  ]),
};

/**
 * `npm run test:quick` (scripts/test-quick.mjs sets GATEWAY_TESTS=quick): the pure functions
 * and the pipeline steps of the workers project, without the global setups they do not need
 * (the OpenID Providers, the differential origin routers), for the inner loop. docs/development.md
 * says which to run when.
 */
const QUICK = process.env.GATEWAY_TESTS === "quick";
const QUICK_TESTS = [
  "evaluate", "requirements", "canonical-path", "path-folding", "routes", "method-override", "cookie", "token", "config",
  "assertion-config", "identity", "return-to", "credential", "trusted-issuers", "workload-token", "user", "service-token",
].map((name) => `test/${name}.test.ts`);

/** Black-box tests of the repository's scripts and documents (the "tools" project). */
const TOOLS_TESTS = ["check-config", "dev-origin", "docs-links", "lint-imports", "security-md", "settings-table"].map((name) => `test/e2e/${name}.test.ts`);

export default defineConfig({
  test: {
    // Logs (one JSON line per event) only for failing tests.
    silent: "passed-only",
    projects: [
      {
        // Unit and integration tests inside workerd, through the Worker's fetch handler.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                // Only the gateway's settings: what the global setups start (OpenID Providers,
                // origin routers) reaches the tests through vitest's inject (test/oidc/helpers.ts,
                // test/differential/harness.ts), since any other binding is an unknown setting.
                ...testBindings,
              },
              serviceBindings: { ORIGIN: "echo-origin" },
              workers: [
                {
                  name: "echo-origin",
                  modules: true,
                  scriptPath: "./test/fixtures/echo-origin.js",
                  compatibilityDate: "2026-08-01",
                },
              ],
            },
          }),
        ],
        test: {
          name: "workers",
          // vitest's default on 2 cores is one file at a time, which leaves a core idle while
          // a file waits on a Durable Object or a loopback server. scripts/test.mjs runs this
          // project beside the e2e one (docs/development.md has the timings).
          maxWorkers: 3,
          // One module graph per worker, not per file: evaluating the Worker's modules again
          // for each of 46 files was two thirds of this project's time (import 66 s → 15 s in a
          // full run).
          // So files share module state and Durable Object storage: a test names its own users
          // (uniqueUser) and restores what it mocks.
          isolate: false,
          // Three files at a time beside the e2e and tools projects on 2 cores: a test of 40
          // logins at once once took over vitest's default 5 s; the e2e project allows 60 s.
          testTimeout: 20_000,
          globalSetup: QUICK ? ["./test/workload/global-setup.mjs"] : ["./test/oidc/global-setup.mjs", "./test/differential/global-setup.mjs", "./test/workload/global-setup.mjs"],
          // Console lines stay in workerd unless their test fails (test/held-console.ts).
          setupFiles: ["./test/held-console.ts", "./test/store-deadline.ts"],
          include: QUICK ? QUICK_TESTS : ["test/**/*.test.ts"],
          exclude: ["test/e2e/**"],
        },
      },
      {
        // Black-box tests: the gateway as a real HTTP server (wrangler dev) on loopback.
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          exclude: TOOLS_TESTS,
          environment: "node",
          // Starts the shared gateways (test/e2e/gateways.ts) in the background, before any
          // test runs; the files wait for theirs.
          globalSetup: ["./test/e2e/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // The files share gateways and read what their origin received in between: one at a time,
          // in one process (nothing in them needs a fresh module graph), after the workers project.
          fileParallelism: false,
          isolate: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // The repository's own tools and documents, run as a user would (npm run check, npm
        // run dev, the import lint, README's and SECURITY.md's tables): no shared gateway, so
        // beside the e2e project rather than after it (scripts/test.mjs).
        test: {
          name: "tools",
          include: TOOLS_TESTS,
          environment: "node",
          testTimeout: 60_000,
          // check-config and dev-origin each start wrangler: one at a time on 2 cores.
          fileParallelism: false,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
