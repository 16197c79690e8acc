/**
 * A streamed response for a session (Server-Sent Events, NDJSON) is cut when the session ends
 * (docs/live-connections.md): the body is read through, and the watch settling errors the
 * client's stream and cancels the origin's — the client sees the connection end, and nothing
 * more of the origin's stream.
 */
import { mediaType } from "../http/body";
import { logEvent } from "../log";
import type { SessionWatch } from "../session/watch";

/** Responses that stay open for as long as the origin wants: watched for their session. */
const STREAMED_TYPES = ["text/event-stream", "application/x-ndjson"];

export function isStreamedResponse(response: Response): boolean {
  if (!response.body) return false;
  return STREAMED_TYPES.includes(mediaType(response.headers.get("content-type")));
}

export function cutWhenSessionEnds(response: Response, watch: SessionWatch, sessionId: string): Response {
  const source = response.body!.getReader();
  let cut = false;
  let output!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      output = controller;
    },
    async pull(controller) {
      const chunk = await source.read().catch((error: unknown) => {
        if (!cut) controller.error(error);
        return { done: true as const, value: undefined };
      });
      if (cut) return;
      if (chunk.done) {
        watch.close();
        controller.close();
      } else {
        controller.enqueue(chunk.value);
      }
    },
    cancel(reason) {
      // The client went away: the origin's stream and the watch are let go.
      watch.close();
      return source.cancel(reason);
    },
  });
  void watch.ended.then(() => {
    cut = true;
    logEvent("live.stream_cut", { session: sessionId });
    output.error(new Error("session ended"));
    void source.cancel("session ended").catch(() => {});
  });
  return new Response(body, response);
}
