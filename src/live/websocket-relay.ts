/**
 * A WebSocket the gateway holds both legs of, for a session's lifetime (docs/live-connections.md).
 * Frames pass through unchanged, text and binary, in both directions; a close on one leg closes
 * the other with the same code and reason. When the session ends — the watch settles — both
 * legs are closed with 1008 `session ended` (or `identity changed`, when an admin changed the
 * user's identity: the origin acted on the old one; `reauthentication required`, when the
 * route's max auth age passed), and nothing the client sends after that reaches the origin.
 *
 * A message larger than MAX_RELAYED_MESSAGE_BYTES, from either side, is not relayed: both legs
 * are closed with 1009. The runtime hands a message over only whole, so this bounds what the
 * relay holds and sends on, not what the runtime receives; hold.ts keeps permessage-deflate
 * off the client's leg so that what it receives is what the client actually sent.
 */
import { logEvent } from "../log";
import type { SessionWatch } from "../session/watch";

/** RFC 6455 §7.4.1: policy violation — the session this connection was opened with has ended. */
export const SESSION_ENDED_CLOSE_CODE = 1008;

/** RFC 6455 §7.4.1: a message too big to process. */
export const MESSAGE_TOO_BIG_CLOSE_CODE = 1009;

/** The largest message relayed, either way: 1 MiB, well below the runtime's own limit. */
export const MAX_RELAYED_MESSAGE_BYTES = 1024 * 1024;

/** Relays between the client and the origin's socket; answers the client's end of the pair. */
export function relayWebSocket(origin: WebSocket, watch: SessionWatch, sessionId: string): WebSocket {
  const [clientEnd, client] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  client.accept();
  origin.accept();
  // Binary frames pass as the bytes they are (the default under newer compatibility dates is Blob).
  client.binaryType = "arraybuffer";
  origin.binaryType = "arraybuffer";

  let open = true;
  const end = (how: string, toClient: CloseFrame, toOrigin: CloseFrame) => {
    if (!open) return;
    open = false;
    watch.close();
    close(client, toClient);
    close(origin, toOrigin);
    logEvent("live.websocket_closed", { session: sessionId, by: how });
  };

  const tooBig = (from: string) => {
    const frame = { code: MESSAGE_TOO_BIG_CLOSE_CODE, reason: "message too big" };
    end(`${from}-message-too-big`, frame, frame);
  };
  client.addEventListener("message", (event) => {
    if (!open) return;
    if (exceedsCap(event.data)) return tooBig("client");
    watch.activity();
    origin.send(event.data);
  });
  origin.addEventListener("message", (event) => {
    if (!open) return;
    if (exceedsCap(event.data)) return tooBig("origin");
    client.send(event.data);
  });
  client.addEventListener("close", (event) => end("client", {}, frameOf(event)));
  origin.addEventListener("close", (event) => end("origin", frameOf(event), {}));
  client.addEventListener("error", () => end("client-error", {}, { code: 1011 }));
  origin.addEventListener("error", () => end("origin-error", { code: 1011 }, {}));
  void watch.ended.then((reason) => {
    const frame = { code: SESSION_ENDED_CLOSE_CODE, reason };
    end(reason.replaceAll(" ", "-"), frame, frame);
  });
  return clientEnd;
}

/** A text message counts its UTF-8 bytes; encoded only when its length leaves it in doubt. */
function exceedsCap(data: string | ArrayBuffer): boolean {
  if (typeof data !== "string") return data.byteLength > MAX_RELAYED_MESSAGE_BYTES;
  if (data.length > MAX_RELAYED_MESSAGE_BYTES) return true;
  return data.length * 3 > MAX_RELAYED_MESSAGE_BYTES && new TextEncoder().encode(data).byteLength > MAX_RELAYED_MESSAGE_BYTES;
}

interface CloseFrame {
  readonly code?: number;
  readonly reason?: string;
}

/** A close code may be sent only when it is one an endpoint may send (not 1005, 1006, 1015). */
function frameOf(event: CloseEvent): CloseFrame {
  const sendable = event.code === 1000 || (event.code >= 1001 && event.code <= 1014 && ![1004, 1005, 1006].includes(event.code)) || (event.code >= 3000 && event.code <= 4999);
  return sendable ? { code: event.code, reason: event.reason } : {};
}

function close(socket: WebSocket, frame: CloseFrame): void {
  try {
    if (frame.code === undefined) socket.close();
    else socket.close(frame.code, frame.reason);
  } catch {
    // Already closed by its peer.
  }
}
