/**
 * The workers project's console output, held inside workerd and printed only for a test that
 * fails (vitest.config.ts `setupFiles`).
 *
 * vitest's `silent: "passed-only"` gives the same output, but only after every line has crossed
 * from workerd to vitest: one RPC message each, deflate-compressed on both sides. The gateway
 * writes a JSON line per event, 8,453 of them in this project's run, and a stress test
 * (concurrency.test.ts: ~3,600) spent about a quarter of its CPU time on that transport.
 * Held here, a passing test's lines never leave workerd; a failing test's are printed, in order,
 * when it ends. The Worker, its Durable Objects and the tests share this isolate, so the
 * gateway's lines are held too. A test's own `vi.spyOn(console, …)` wraps the holder and still
 * sees every call.
 */
import { beforeEach } from "vitest";

const LEVELS = ["log", "info", "warn", "error", "debug"] as const;
type Level = (typeof LEVELS)[number];
type Line = readonly [Level, unknown[]];

/** Set once per isolate: with `isolate: false` this file runs again for every test file. */
const HOLDER = Symbol.for("gateway-tests.held-console");
type Holder = { lines: Line[]; print: Record<Level, (...args: unknown[]) => void> };

function install(): Holder {
  const installed = (globalThis as { [HOLDER]?: Holder })[HOLDER];
  if (installed) return installed;
  const holder: Holder = { lines: [], print: {} as Holder["print"] };
  for (const level of LEVELS) {
    holder.print[level] = console[level].bind(console);
    console[level] = (...args: unknown[]) => void holder.lines.push([level, args]);
  }
  (globalThis as { [HOLDER]?: Holder })[HOLDER] = holder;
  return holder;
}

const holder = install();

beforeEach(({ onTestFinished }) => {
  // Lines logged before the test (a file's top level, beforeAll) count as the first test's.
  onTestFinished(({ task }) => {
    const lines = holder.lines.splice(0);
    if (task.result?.state === "fail") for (const [level, args] of lines) holder.print[level](...args);
  });
});
