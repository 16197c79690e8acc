/**
 * The workers project's Durable Object deadline (vitest.config.ts `setupFiles`): 30 s instead of
 * production's 5 s (session/durable-call.ts), so a call that a loaded machine merely slows down
 * is not answered 503 — a test still fails, by its own timeout, if a call never answers. The
 * tests of the deadline itself (faults.test.ts) set production's back around them.
 */
import { setStoreTimeoutMs } from "../src/session/durable-call";

/** The deadline the tests run with. */
export const TEST_STORE_TIMEOUT_MS = 30_000;

setStoreTimeoutMs(TEST_STORE_TIMEOUT_MS);
