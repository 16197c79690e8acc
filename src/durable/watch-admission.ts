/**
 * How many live connections a session's watches may number (docs/live-connections.md "Caps"):
 * MAX_CONNECTIONS_PER_SESSION counts this object's open watches, MAX_CONNECTIONS_PER_USER the
 * counts every session of the user reports to the user's index. One per SessionObject, in a
 * private field; the object decides whether the session is live and the identity the same.
 */
import type { Env } from "../env";
import { logError } from "../log";
import { indexStub, legacyUserIndex } from "../session/stubs";
import { WATCH_LIMIT_HEADER, WATCH_STATUS, type IndexRef, type SessionRecord, type WatchTerms } from "../session/types";

/** What a watch socket carries through hibernation. */
interface WatchAttachment {
  /** The user's index counts this watch: its close is reported there. */
  readonly countedForUser: boolean;
}

export class WatchAdmission {
  readonly #ctx: DurableObjectState;
  readonly #env: Env;
  /** Watches between their checks and their opening: counted as open, so two at once cannot both take the last place. */
  #admitting = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    this.#ctx = ctx;
    this.#env = env;
  }

  /** 429 when this session already holds MAX_CONNECTIONS_PER_SESSION; null otherwise. */
  sessionRefusal(terms: WatchTerms): Response | null {
    if (terms.maxPerSession > 0 && this.#open() + this.#admitting >= terms.maxPerSession) return tooMany("session");
    return null;
  }

  /**
   * MAX_CONNECTIONS_PER_USER: the user's index admits this watch if the sum over the user's
   * sessions stays within the cap, and records this session's count with it. 429 or 503
   * (the index could not be asked: fail closed), or null when admitted.
   */
  async userRefusal(record: SessionRecord, terms: WatchTerms): Promise<Response | null> {
    if (terms.maxPerUser === 0) return null;
    this.#admitting++;
    try {
      const admitted = await indexStub(this.#env, userIndexOf(record)).admitConnections(record.publicId, this.#open() + this.#admitting, terms.maxPerUser);
      return admitted ? null : tooMany("user");
    } catch (error) {
      logError("live.user_count_failed", { session: record.publicId, error: String(error) });
      return new Response(null, { status: WATCH_STATUS.unavailable });
    } finally {
      this.#admitting--;
    }
  }

  /** Accepts the watch (hibernatable) and answers the Worker's end of it. */
  accept(terms: WatchTerms): Response {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.#ctx.acceptWebSocket(server);
    server.serializeAttachment({ countedForUser: terms.maxPerUser > 0 } satisfies WatchAttachment);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** A watch the user's index counted has closed: the index is told this session's new count. */
  async released(record: SessionRecord | null, ws: WebSocket): Promise<void> {
    if (!record || !(ws.deserializeAttachment() as WatchAttachment | null)?.countedForUser) return;
    try {
      await indexStub(this.#env, userIndexOf(record)).countConnections(record.publicId, this.#open());
    } catch (error) {
      // The next watch this session opens reports its count again; until then the user's count is high.
      logError("live.user_count_failed", { session: record.publicId, error: String(error) });
    }
  }

  #open(): number {
    return this.#ctx.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN).length;
  }
}

/** The user's index a session is listed in (records from before `indexes`: the user's by name, before realms). */
export function userIndexOf(record: SessionRecord): IndexRef {
  return record.indexes?.find((ref) => ref.kind === "user") ?? legacyUserIndex(record.user.sub);
}

function tooMany(limit: "session" | "user"): Response {
  return new Response(null, { status: WATCH_STATUS.tooMany, headers: { [WATCH_LIMIT_HEADER]: limit } });
}
