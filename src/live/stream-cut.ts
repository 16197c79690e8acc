/**
 * An answer with a body to a request with a session is cut when the session ends
 * (docs/live-connections.md), whatever its content type: the body is read through, and the
 * watch settling errors the client's stream and cancels the origin's — the client sees the
 * connection drop, and nothing more of the origin's body.
 *
 * The watch is opened `delayMs` after the answer starts, and only if its body is still flowing
 * then: an ordinary answer is over before that and costs a timer and a read-through
 * stream, no Durable Object call. A watch the session refuses (it has ended, its identity changed, the
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
  const source = response.body!.getReader();
  let watch: SessionWatch | null = null;
  let over = false;
  let output!: ReadableStreamDefaultController<Uint8Array>;
  const finished = () => {
    over = true;
    clearTimeout(timer);
    watch?.close();
  };
  const end = (reason: string) => {
    if (over) return;
    finished();
    logEvent("live.stream_cut", { session: sessionId, reason });
    output.error(new Error(reason));
    void source.cancel(reason).catch(() => {});
  };
  const watchNow = async () => {
    let opened: SessionWatch | WatchRefused;
    try {
      opened = await watchFor();
    } catch (error) {
      // The session can no longer be confirmed: fail closed.
      logEvent("live.watch_failed", { session: sessionId, error: String(error) });
      opened = { refused: "unavailable" };
    }
    if (isRefused(opened)) return end(opened.refused);
    if (over) return opened.close();
    watch = opened;
    void opened.ended.then(end);
  };
  const timer = setTimeout(() => void watchNow(), delayMs);
  // Pull-based, so the error reaches the client's stream (an aborted pipe into a
  // TransformStream left the client's read pending under workerd).
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      output = controller;
    },
    async pull(controller) {
      const chunk = await source.read().catch((error: unknown) => {
        if (!over) {
          finished();
          controller.error(error);
        }
        return null;
      });
      if (over || chunk === null) return;
      if (chunk.done) {
        finished();
        controller.close();
      } else {
        controller.enqueue(chunk.value);
      }
    },
    cancel(reason) {
      // The client went away: the origin's stream and the watch are let go.
      finished();
      return source.cancel(reason);
    },
  });
  return new Response(body, response);
}
