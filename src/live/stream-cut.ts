/**
 * An answer with a body to a request with a session is cut when the session ends
 * (docs/live-connections.md), whatever its content type: the body is piped through, and the
 * watch settling aborts the pipe, which errors the client's stream and cancels the origin's —
 * the client sees the connection drop, and nothing more of the origin's body.
 *
 * The watch is opened `delayMs` after the answer starts, and only if its body is still flowing
 * then: an ordinary answer is over before that and costs a timer and a native pipe, no
 * Durable Object call. A watch the session refuses (it has ended, its identity changed, the
 * caps are reached, or it cannot be confirmed) cuts the body at once.
 */
import { logEvent } from "../log";
import { isRefused, type SessionWatch, type WatchRefused } from "../session/watch";

/**
 * How long a body may flow before it is watched. A session that ends before then is seen when
 * the watch opens (refused: cut at once), so a body is still cut within about this delay plus
 * one Durable Object round trip of the end — well within 1 s.
 */
export const WATCH_DELAY_MS = 200;

export function cutWhenSessionEnds(response: Response, watchFor: () => Promise<SessionWatch | WatchRefused>, sessionId: string, delayMs: number): Response {
  // A byte stream (every body from fetch is one): the runtime pumps it natively.
  const { readable, writable } = new IdentityTransformStream();
  const cut = new AbortController();
  let watch: SessionWatch | null = null;
  let over = false;
  const piped = response.body!.pipeTo(writable, { signal: cut.signal });
  const watchNow = async () => {
    let opened: SessionWatch | WatchRefused;
    try {
      opened = await watchFor();
    } catch (error) {
      // The session can no longer be confirmed: fail closed.
      opened = { refused: "unavailable" };
      logEvent("live.watch_failed", { session: sessionId, error: String(error) });
    }
    if (isRefused(opened)) return end(opened.refused);
    if (over) return opened.close();
    watch = opened;
    void opened.ended.then(end);
  };
  const end = (reason: string) => {
    if (over) return;
    over = true;
    logEvent("live.stream_cut", { session: sessionId, reason });
    cut.abort(new Error(reason));
  };
  const timer = setTimeout(() => void watchNow(), delayMs);
  // Done, or the client went away (the pipe then cancels the origin's body): the watch is let go.
  void piped
    .catch(() => {})
    .finally(() => {
      over = true;
      clearTimeout(timer);
      (watch as SessionWatch | null)?.close();
    });
  return new Response(readable, response);
}
