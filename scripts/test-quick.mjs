// `npm run test:quick`: the inner loop's check in about 20 s — the import lint, the types, and
// the workers project's pure-function and pipeline tests (vitest.config.ts QUICK_TESTS) without
// the global setups only other files need. `npm test` runs everything; docs/development.md says
// which to run when. Arguments go to vitest (`-t name`, `--watch` is not supported: run vitest).
import { spawnSync } from "node:child_process";
import path from "node:path";

const bin = (name) => path.join(import.meta.dirname, "..", "node_modules", ".bin", name);
const steps = [
  [process.execPath, [path.join(import.meta.dirname, "lint-imports.mjs")]],
  [bin("tsc"), ["--noEmit"]],
  [bin("vitest"), ["run", "--project", "workers", ...process.argv.slice(2)]],
];
for (const [command, args] of steps) {
  const { status } = spawnSync(command, args, { stdio: "inherit", env: { ...process.env, GATEWAY_TESTS: "quick" } });
  if (status !== 0) process.exit(status ?? 1);
}
