/**
 * The live-connections part of the terminal (docs/live-connections.md). For a request with a
 * session, an answer that stays open is held under a watch on that session and ends when the
 * session ends, its identity changes, or the route's `maxAuthAgeSeconds` passes:
 *
 * - a WebSocket handshake: the watch is opened *before* the handshake is forwarded, so the
 *   caps (429) are enforced without contacting the origin, and an identity change while the
 *   origin takes its time closes the socket the moment it is answered;
 * - any answer with a body, whatever its content type: a known streaming type (SSE, NDJSON,
 *   multipart, gRPC-web, JSON text sequences) is watched before its headers go out (so a
 *   request beyond the caps is a 429); any other body is watched only if it is still flowing
 *   after WATCH_DELAY_MS — an ordinary answer is over by then and costs no watch at all — except
 *   one that declares a length of at most 8 MiB, which ends by itself and passes untouched.
 *
 * What a connection is held under depends on who asked (credentials/principal.ts): a user's
 * session's watch; a service credential's watch, on its own Durable Object (a disable, delete,
 * expiry or the end of a rotation's grace ends it); a workload token's expiry, a local deadline
 * (the token is good until its `exp` and nothing can revoke it sooner). A request without a
 * principal (a public route) is never watched.
 */
import type { Context } from "hono";
import { GatewayError } from "../http/responses";
import { mediaType } from "../http/body";
import type { GatewayEnv, LiveConnections } from "../pipeline/types";
import { isRefused, watchSession, type SessionWatch, type WatchRefused } from "../session/watch";
import { cutWhenSessionEnds, WATCH_DELAY_MS } from "./stream-cut";
import { relayWebSocket } from "./websocket-relay";
import { principalOf } from "../credentials/credential";
import type { Principal } from "../credentials/principal";
import { deadlineWatch } from "./deadline-watch";

export interface LiveOptions {
  /** How often a connection's activity is told to its session: the touch-coalescing window. */
  readonly activityWindowMs: number;
  /** MAX_CONNECTIONS_PER_SESSION; 0: no cap. */
  readonly maxPerSession: number;
  /** MAX_CONNECTIONS_PER_USER; 0: no cap. */
  readonly maxPerUser: number;
  /** A service credential's watch (services/watch.ts), until `notAfterMs` (the route's max auth age) at the latest. */
  readonly watchService: (c: Context<GatewayEnv>, principal: Principal, notAfterMs: number | null) => Promise<SessionWatch | WatchRefused>;
}

/** What a connection is held under: who holds it (for the log) and how its watch opens. */
interface Holder {
  /** The session's public id, `service:<name>`, or the workload's subject. */
  readonly id: string;
  open(): Promise<SessionWatch | WatchRefused>;
}

/** Answers that stay open by design: watched before their headers go out. */
const STREAMING_TYPES = new Set(["text/event-stream", "application/x-ndjson", "application/json-seq", "application/grpc-web", "application/grpc-web+proto", "application/grpc-web-text", "application/grpc-web-text+proto"]);

export function liveConnections(options: LiveOptions): LiveConnections {
  function holderOf(c: Context<GatewayEnv>): Holder | null {
    const principal = principalOf(c.get("credential"));
    if (!principal) return null;
    const notAfterMs = c.get("reauthenticateAtMs") ?? null;
    const { session } = principal;
    if (session) {
      const terms = { user: session.user, maxPerSession: options.maxPerSession, maxPerUser: options.maxPerUser };
      return { id: session.id, open: () => watchSession(c.env, session.id, { activityWindowMs: options.activityWindowMs, terms, notAfterMs }) };
    }
    if (principal.kind === "service") return { id: principal.id, open: () => options.watchService(c, principal, notAfterMs) };
    const endsAtMs = Math.min(principal.expiresAtMs ?? Date.now(), notAfterMs ?? Infinity);
    return { id: principal.id, open: () => Promise.resolve(deadlineWatch(endsAtMs)) };
  }

  return {
    async hold(c, handshake, answer) {
      const holder = holderOf(c);
      if (!holder) return answer();
      if (handshake) return holdHandshake(holder.id, await holder.open(), answer);
      const response = await answer();
      if (!response.body) return response;
      if (!isStreamingType(response)) {
        if (isSmallFixedLength(response)) return response;
        return cutWhenSessionEnds(response, () => holder.open(), holder.id, WATCH_DELAY_MS);
      }
      let watch: SessionWatch | WatchRefused;
      try {
        watch = await holder.open();
      } catch (error) {
        void response.body.cancel().catch(() => {});
        throw error;
      }
      if (isRefused(watch) && (watch.refused === "too many connections" || watch.refused === "unavailable")) {
        void response.body.cancel().catch(() => {});
        throw refusal(watch, holder.id);
      }
      // The session ended between its check and this answer — or this very answer ended it
      // (X-Gateway-Logout): the answer goes out, with its cleared cookie, and is cut at once.
      return cutWhenSessionEnds(response, () => Promise.resolve(watch), holder.id, 0);
    },
  };
}

/**
 * A handshake is forwarded only under a watch. A session that ended, or whose identity changed,
 * between its check and the watch is refused without the origin; so is one beyond the caps.
 */
async function holdHandshake(holderId: string, watch: SessionWatch | WatchRefused, answer: () => Promise<Response>): Promise<Response> {
  if (isRefused(watch)) throw refusal(watch, holderId);
  let response: Response;
  try {
    response = await answer();
  } catch (error) {
    watch.close();
    throw error;
  }
  const socket = response.status === 101 ? response.webSocket : null;
  if (socket) {
    // No permessage-deflate on the client's leg (docs/live-connections.md "Message size").
    const headers = new Headers(response.headers);
    headers.delete("sec-websocket-extensions");
    return new Response(null, { status: 101, headers, webSocket: relayWebSocket(socket, watch, holderId) });
  }
  // Not upgraded (a redirect, a refusal): an answer like any other, cut if it stays open.
  if (response.body) return cutWhenSessionEnds(response, () => Promise.resolve(watch), holderId, 0);
  watch.close();
  return response;
}

function refusal(watch: WatchRefused, sessionId: string): GatewayError {
  switch (watch.refused) {
    case "too many connections":
      return new GatewayError("rate_limited", `live connections beyond MAX_CONNECTIONS_PER_${watch.limit === "user" ? "USER" : "SESSION"}`, {
        event: "live.too_many_connections",
        fields: { session: sessionId, limit: watch.limit },
        page: { title: "Too many open connections", text: "This session has too many live connections open. Close some tabs or windows and try again." },
      });
    case "session ended":
      return new GatewayError("unauthenticated", "session ended before the watch opened", { event: "live.session_ended", level: "info", fields: { session: sessionId } });
    case "identity changed":
      // Decided with the identity an admin has just changed: asked again, it is decided anew.
      return new GatewayError("unavailable", "identity changed while the request was decided", { event: "live.identity_changed", fields: { session: sessionId }, headers: { "Retry-After": "1" } });
    default:
      return new GatewayError("unavailable", "session watch unavailable", { fields: { session: sessionId } });
  }
}

/**
 * A body that declares its length, up to FIXED_LENGTH_PASS_BYTES, goes out as the runtime
 * streams it, untouched: it ends by itself once that many bytes are sent, so a session that ends
 * meanwhile lets through at most the rest of it. Read through JavaScript instead, a 1 MiB body
 * went from 0.83× to 0.07–0.1× the bare proxy's throughput (bench, "1 MiB response streamed
 * through"): workerd moves a native body without a JavaScript call per chunk.
 */
const FIXED_LENGTH_PASS_BYTES = 8 * 1024 * 1024;

function isSmallFixedLength(response: Response): boolean {
  const declared = response.headers.get("content-length");
  if (declared === null || !/^\d{1,16}$/.test(declared)) return false;
  return Number(declared) <= FIXED_LENGTH_PASS_BYTES;
}

function isStreamingType(response: Response): boolean {
  const type = mediaType(response.headers.get("content-type"));
  return STREAMING_TYPES.has(type) || type.startsWith("multipart/");
}
