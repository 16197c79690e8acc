/**
 * A call into a Durable Object, classified by cause. A call that takes too long, or fails
 * because of the platform (an error the runtime marks `retryable` or `overloaded`: a reset, a
 * lost connection, an overloaded object), becomes GatewayError("unavailable") — 503, fail
 * closed (docs/design.md "Sessions"). Any other error is a bug: it is thrown on as it is, and
 * app.ts logs it with its stack and answers 500 — never proxied, never hidden as a 503.
 */
import { DeadlineExceeded, withDeadline } from "../http/deadline";
import { GatewayError, type GatewayErrorOptions } from "../http/responses";

/** A Durable Object call that has not answered by then fails the request with 503. */
export const STORE_TIMEOUT_MS = 5000;

let storeTimeoutMs = STORE_TIMEOUT_MS;

/**
 * Another deadline for every Durable Object call of this isolate, for tests only: on a machine
 * whose cores a CPU hog keeps busy, a call that is merely slow must not become a 503
 * (test/store-deadline.ts sets 30 s; the tests of the deadline itself set it back). Production
 * never calls this. Returns what restores the previous deadline.
 */
export function setStoreTimeoutMs(ms: number): () => void {
  const previous = storeTimeoutMs;
  storeTimeoutMs = ms;
  return () => {
    storeTimeoutMs = previous;
  };
}

export async function durableCall<T>(what: string, run: () => Promise<T>, options: GatewayErrorOptions = {}): Promise<T> {
  try {
    return await withDeadline(storeTimeoutMs, run);
  } catch (error) {
    if (error instanceof DeadlineExceeded || isPlatformFailure(error)) throw new GatewayError("unavailable", `${what} failed: ${String(error)}`, options);
    throw error;
  }
}

/** Durable Object errors the runtime raises for infrastructure: they carry these flags. */
function isPlatformFailure(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const flags = error as { retryable?: unknown; overloaded?: unknown };
  return flags.retryable === true || flags.overloaded === true;
}
