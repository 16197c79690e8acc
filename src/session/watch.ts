/**
 * The Worker's end of a watch (docs/live-connections.md): a WebSocket to the session's
 * SessionObject, held for as long as a relayed WebSocket or a streamed response lasts. The
 * object closes it when the session ends for any reason; a watch that closes or fails for any
 * other reason (the object restarted, the connection was lost) is taken as the end too, since
 * the session can no longer be confirmed. Fail closed: a connection is never left open on a
 * session nobody vouches for.
 */
import type { Env } from "../env";
import { logWarning } from "../log";
import { durableCall } from "./durable-call";
import { sessionStub } from "./stubs";
import { WATCH_ACTIVITY, WATCH_ENDED, WATCH_IDENTITY_CHANGED } from "./types";

export interface SessionWatch {
  /**
   * Settles once the connection must end — the session ended, its identity changed, or it can
   * no longer be confirmed — with the reason to give the client (`session ended`, `identity
   * changed`). Never rejects.
   */
  readonly ended: Promise<string>;
  /** The connection saw client activity: told to the session at most once per activity window. */
  activity(): void;
  /** The connection is over: let go of the watch. */
  close(): void;
}

/**
 * Opens a watch on a live session, or answers null when the session is no longer live.
 * `activityWindowMs`: the session's touch-coalescing window (a tenth of the idle timeout), so a
 * busy socket costs the session object no more messages than busy requests cost it writes.
 */
export async function watchSession(env: Env, publicId: string, activityWindowMs: number): Promise<SessionWatch | null> {
  const response = await durableCall("session watch", () =>
    sessionStub(env, publicId).fetch("https://session.invalid/watch", { headers: { Upgrade: "websocket" } }),
  );
  const socket = response.webSocket;
  if (response.status !== 101 || !socket) return null;
  socket.accept();

  let settle!: (reason: string) => void;
  const ended = new Promise<string>((resolve) => (settle = resolve));
  let open = true;
  const finish = (reason: string) => {
    if (!open) return;
    open = false;
    settle(reason);
  };
  const release = () => {
    try {
      socket.close(1000, "connection over");
    } catch {
      // Already closed: the object has let go of it either way.
    }
  };
  // The session ended (or the object is gone): the connection ends first (the `ended`
  // callbacks run before any later frame of it is handled), then the object is told.
  socket.addEventListener("close", (event) => {
    // The object names why (WATCH_ENDED, WATCH_IDENTITY_CHANGED); any other close — the object
    // restarted, the connection lost — means the session can no longer be confirmed: ended.
    finish(event.reason === WATCH_IDENTITY_CHANGED ? WATCH_IDENTITY_CHANGED : WATCH_ENDED);
    queueMicrotask(release);
  });
  socket.addEventListener("error", () => {
    logWarning("live.watch_lost", { session: publicId });
    finish(WATCH_ENDED);
  });

  let lastActivityAt = Date.now();
  return {
    ended,
    activity() {
      const now = Date.now();
      if (!open || now - lastActivityAt < activityWindowMs) return;
      lastActivityAt = now;
      try {
        socket.send(WATCH_ACTIVITY);
      } catch {
        finish(WATCH_ENDED);
      }
    },
    close() {
      if (!open) return;
      open = false;
      release();
    },
  };
}
