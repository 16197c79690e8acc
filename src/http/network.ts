/**
 * Whether an error is a failed or timed-out network call (fetch() itself, or an
 * AbortSignal.timeout), as opposed to a bug: what callers may answer with 502/503/504.
 */
export function isNetworkFailure(error: unknown): boolean {
  if (error instanceof DOMException) return error.name === "TimeoutError" || error.name === "AbortError";
  // workerd rejects fetch() with an Error such as "Network connection lost." (flagged
  // retryable), undici with a TypeError "fetch failed": both name the network.
  if (!(error instanceof Error)) return false;
  return (error as { retryable?: unknown }).retryable === true || /fetch failed|network|connect|dns|socket|timed out/i.test(error.message);
}
