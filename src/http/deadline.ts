/**
 * A deadline for a call that may never answer (a Durable Object, the origin): the call is
 * raced against the clock as well as signalled, so a callee that ignores the signal still
 * cannot hold the request. The timer is always cleared.
 *
 * No AbortController is made at module scope for the callers that take no signal: workerd
 * refuses to start a Worker whose global scope makes one ("Disallowed operation called within
 * global scope"), and the workers pool does not enforce that — only `wrangler dev` shows it.
 */
export class DeadlineExceeded extends Error {
  override name = "DeadlineExceeded";
}

export async function withDeadline<T>(ms: number, run: (signal?: AbortSignal) => Promise<T>): Promise<T> {
  // Made only for a callee that takes the signal (fetch); a Durable Object call has no use for it.
  const controller = run.length > 0 ? new AbortController() : null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new DeadlineExceeded(`no answer within ${ms} ms`);
      controller?.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([run(controller?.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** setTimeout's longest delay (2^31 − 1 ms, about 24.8 days); a later instant is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `then` at the epoch-ms instant `atMs` (at once if it has passed); the result cancels it. */
export function atInstant(atMs: number, then: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const wait = () => {
    const leftMs = atMs - Date.now();
    if (leftMs <= 0) then();
    else timer = setTimeout(wait, Math.min(leftMs, MAX_TIMER_MS));
  };
  wait();
  return () => clearTimeout(timer);
}
