/**
 * The Worker's end of a watch (docs/live-connections.md): a WebSocket to the session's
 * SessionObject, held for as long as a relayed WebSocket or a streamed response lasts. The
 * object closes it when the session ends for any reason; a watch that closes or fails for any
 * other reason (the object restarted, the connection was lost) is taken as the end too, since
 * the session can no longer be confirmed. Fail closed: a connection is never left open on a
 * session nobody vouches for. A watch also ends by itself when the route's `maxAuthAgeSeconds`
 * passes (`notAfterMs`): the connection was authorized by a login that is then too old.
 * A service credential's watch (services/watch.ts) is the same Worker end on its own object.
 */
import type { Env } from "../env";
import { logWarning } from "../log";
import { durableCall } from "./durable-call";
import { atInstant } from "../http/deadline";
import { sessionStub } from "./stubs";
import { WATCH_ACTIVITY, WATCH_ENDED, WATCH_IDENTITY_CHANGED, WATCH_LIMIT_HEADER, WATCH_REAUTHENTICATE, WATCH_STATUS, type WatchTerms } from "./types";

export interface SessionWatch {
  /**
   * Settles once the connection must end — the session ended, its identity changed, the
   * route's max auth age passed, or it can no longer be confirmed — with the reason to give the
   * client (`session ended`, `identity changed`, `reauthentication required`). Never rejects.
   */
  readonly ended: Promise<string>;
  /** The connection saw client activity: told to the session at most once per activity window. */
  activity(): void;
  /** The connection is over: let go of the watch. */
  close(): void;
}

/** A watch the object would not open, and why. */
export interface WatchRefused {
  readonly refused: "session ended" | "identity changed" | "too many connections" | "unavailable";
  /** For `too many connections`: the cap that was reached. */
  readonly limit?: "session" | "user";
}

export interface WatchOptions {
  /** The session's touch-coalescing window (a tenth of the idle timeout). */
  readonly activityWindowMs: number;
  readonly terms: WatchTerms;
  /** Epoch ms when the route's max auth age passes; null: no such rule. */
  readonly notAfterMs: number | null;
}

/**
 * Opens a watch on a live session, or answers why not. `activityWindowMs`: a busy socket costs
 * the session object no more messages than busy requests cost it writes.
 */
export function watchSession(env: Env, publicId: string, options: WatchOptions): Promise<SessionWatch | WatchRefused> {
  const url = `https://session.invalid/watch?terms=${encodeURIComponent(JSON.stringify(options.terms))}`;
  return openWatch({ what: "session watch", holder: { session: publicId }, connect: () => sessionStub(env, publicId).fetch(url, { headers: { Upgrade: "websocket" } }) }, options);
}

/** The object a watch is opened on: a session's, or a service credential's (services/watch.ts). */
export interface WatchTarget {
  /** What the call is, for its classification (durable-call.ts): `session watch`. */
  readonly what: string;
  /** Who holds the connection, as the log names it: `{ session: <public id> }`. */
  readonly holder: Readonly<Record<string, string>>;
  /** The watch request: a WebSocket upgrade to the object, 101 or a WATCH_STATUS refusal. */
  connect(): Promise<Response>;
}

/**
 * The Worker's end of any watch: opens it (or answers why not), settles `ended` on the object's
 * close or any failure, ends it by itself at `notAfterMs`, and tells the object of activity at
 * most once per `activityWindowMs`.
 */
export async function openWatch(target: WatchTarget, options: Pick<WatchOptions, "activityWindowMs" | "notAfterMs">): Promise<SessionWatch | WatchRefused> {
  const response = await durableCall(target.what, () => target.connect());
  const socket = response.webSocket;
  if (response.status !== 101 || !socket) return refusalOf(response);
  socket.accept();

  let settle!: (reason: string) => void;
  const ended = new Promise<string>((resolve) => (settle = resolve));
  let open = true;
  let cancelDeadline = () => {};
  const finish = (reason: string) => {
    if (!open) return;
    open = false;
    cancelDeadline();
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
    logWarning("live.watch_lost", target.holder);
    finish(WATCH_ENDED);
  });
  if (options.notAfterMs !== null) {
    cancelDeadline = atInstant(options.notAfterMs, () => {
      finish(WATCH_REAUTHENTICATE);
      queueMicrotask(release);
    });
  }

  let lastActivityAt = Date.now();
  return {
    ended,
    activity() {
      const now = Date.now();
      if (!open || now - lastActivityAt < options.activityWindowMs) return;
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
      cancelDeadline();
      release();
    },
  };
}

export function isRefused(watch: SessionWatch | WatchRefused): watch is WatchRefused {
  return "refused" in watch;
}

function refusalOf(response: Response): WatchRefused {
  void response.body?.cancel().catch(() => {});
  switch (response.status) {
    case WATCH_STATUS.identityChanged:
      return { refused: "identity changed" };
    case WATCH_STATUS.tooMany:
      return { refused: "too many connections", limit: response.headers.get(WATCH_LIMIT_HEADER) === "user" ? "user" : "session" };
    case WATCH_STATUS.ended:
      return { refused: "session ended" };
    default:
      return { refused: "unavailable" };
  }
}
