/**
 * Closing watches (docs/live-connections.md "How the session tells the connection"): the object
 * closes each watch and waits until the Worker holding it has let go, which it does only after
 * it has stopped its connection. So once the call that ended a session or a service credential
 * answers, no frame of its connections reaches the origin any more. One per object, in a
 * private field; the object tells it of every watch the Worker let go (webSocketClose/Error).
 */
import { WATCH_ENDED } from "../session/types";

/**
 * How long a close waits for its watches to be let go. The Worker answers a watch's close at
 * once; this bounds the wait when it cannot (its isolate is gone).
 */
const WATCH_RELEASE_WAIT_MS = 1000;

export class WatchRelease {
  /** The closes under way: the watches each still waits for, and what to call when none is left. */
  readonly #pending = new Set<{ readonly watches: Set<WebSocket>; readonly done: () => void }>();

  /** Closes these watches with `reason`, and waits (at most WATCH_RELEASE_WAIT_MS) until each is let go. */
  async close(watches: Iterable<WebSocket>, reason: string = WATCH_ENDED): Promise<void> {
    const waiting = new Set(watches);
    if (waiting.size === 0) return;
    let entry!: { readonly watches: Set<WebSocket>; readonly done: () => void };
    const released = new Promise<void>((done) => (entry = { watches: waiting, done }));
    this.#pending.add(entry);
    for (const ws of waiting) closeWatch(ws, reason);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([released, new Promise<void>((done) => (timer = setTimeout(done, WATCH_RELEASE_WAIT_MS)))]);
    clearTimeout(timer);
    this.#pending.delete(entry);
  }

  /** The Worker let go of this watch (its connection closed, or it saw the end). */
  released(ws: WebSocket): void {
    for (const entry of this.#pending) {
      entry.watches.delete(ws);
      if (entry.watches.size === 0) entry.done();
    }
  }
}

export function closeWatch(ws: WebSocket, reason: string = WATCH_ENDED): void {
  try {
    ws.close(1000, reason);
  } catch {
    // Already closing or closed: nothing is left to tell.
  }
}
