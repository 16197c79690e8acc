/**
 * The live-connections part of the terminal (docs/live-connections.md): an allowed answer
 * that stays open — a WebSocket handshake's 101, a streamed response — to a request with a
 * session is held under a watch on that session, and ends when the session ends. Everything
 * else passes through untouched, and a request without a session is never watched.
 */
import type { Context } from "hono";
import type { GatewayEnv, LiveConnections } from "../pipeline/types";
import { WATCH_ENDED } from "../session/types";
import { watchSession, type SessionWatch } from "../session/watch";
import { cutWhenSessionEnds, isStreamedResponse } from "./stream-cut";
import { relayWebSocket, SESSION_ENDED_CLOSE_CODE } from "./websocket-relay";

export interface LiveOptions {
  /** How often a connection's activity is told to its session: the touch-coalescing window. */
  readonly activityWindowMs: number;
}

export function liveConnections(options: LiveOptions): LiveConnections {
  return {
    async hold(c: Context<GatewayEnv>, response: Response): Promise<Response> {
      const session = c.get("session");
      const socket = response.status === 101 ? response.webSocket : null;
      if (!session || (!socket && !isStreamedResponse(response))) return response;
      let watch: SessionWatch | null;
      try {
        watch = await watchSession(c.env, session.id, options.activityWindowMs);
      } catch (error) {
        if (socket) closeQuietly(socket);
        else void response.body?.cancel().catch(() => {});
        throw error;
      }
      // The session ended between its check and this answer — or this very answer ended it
      // (X-Gateway-Logout): the answer goes out, with its cleared cookie, and the connection
      // is ended at once.
      watch ??= ENDED;
      if (socket) return new Response(null, { status: 101, headers: response.headers, webSocket: relayWebSocket(socket, watch, session.id) });
      return cutWhenSessionEnds(response, watch, session.id);
    },
  };
}

const ENDED: SessionWatch = { ended: Promise.resolve(WATCH_ENDED), activity() {}, close() {} };

function closeQuietly(socket: WebSocket): void {
  try {
    socket.accept();
    socket.close(SESSION_ENDED_CLOSE_CODE, WATCH_ENDED);
  } catch {
    // Never opened, or already closed.
  }
}
