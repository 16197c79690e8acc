/**
 * Helpers for the live-connection bounds tests (test/live-bounds.test.ts): an origin whose
 * WebSocket handshakes and streamed bodies the test controls, and a client socket.
 */
import { expect } from "vitest";
import type { SessionUser, WatchTerms } from "../src/session/types";
import { COOKIE_NAME, gatewayFetchWith } from "./helpers";

/** The watch request the Worker sends a session's object (session/watch.ts). */
export function watchUrl(user: SessionUser, caps: Partial<Omit<WatchTerms, "user">> = {}): string {
  const terms: WatchTerms = { user, maxPerSession: caps.maxPerSession ?? 0, maxPerUser: caps.maxPerUser ?? 0 };
  return `https://session.invalid/watch?terms=${encodeURIComponent(JSON.stringify(terms))}`;
}

export interface OriginSocket {
  readonly socket: WebSocket;
  readonly received: (string | ArrayBuffer)[];
  readonly closes: { code: number; reason: string }[];
}

/**
 * An origin that echoes on its WebSockets and records what it gets; `/stream?type=…` answers
 * a body of that type that sends one chunk and stays open. `holdHandshakes()` makes the next
 * handshakes wait until `release()`.
 */
export function controlledOrigin() {
  const sockets: OriginSocket[] = [];
  const handshakeHeaders: Headers[] = [];
  const streams: { push(text: string): void; readonly cancelled: boolean }[] = [];
  let held: Promise<void> | null = null;
  let release = () => {};
  let arrived = () => {};
  const fetcher = {
    async fetch(request: Request): Promise<Response> {
      const url = new URL(request.url);
      if (url.pathname.endsWith("/stream")) {
        let controller!: ReadableStreamDefaultController<Uint8Array>;
        const entry = {
          cancelled: false,
          push: (text: string) => controller.enqueue(new TextEncoder().encode(text)),
        };
        const body = new ReadableStream<Uint8Array>({
          start: (c) => {
            controller = c;
            c.enqueue(new TextEncoder().encode("first\n"));
          },
          cancel: () => {
            entry.cancelled = true;
          },
        });
        streams.push(entry);
        return new Response(body, { headers: { "content-type": url.searchParams.get("type") ?? "text/plain" } });
      }
      if (url.pathname.endsWith("/plain")) return Response.json({ ok: true });
      handshakeHeaders.push(request.headers);
      arrived();
      if (held) await held;
      const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
      server.accept();
      server.binaryType = "arraybuffer";
      const record: OriginSocket = { socket: server, received: [], closes: [] };
      sockets.push(record);
      server.addEventListener("message", (event) => {
        record.received.push(event.data);
        if (event.data !== "quiet") server.send(event.data);
      });
      server.addEventListener("close", (event) => record.closes.push({ code: event.code, reason: event.reason }));
      return new Response(null, { status: 101, webSocket: client, headers: { "sec-websocket-extensions": "permessage-deflate" } });
    },
  } as unknown as Fetcher;
  return {
    fetcher,
    sockets,
    streams,
    handshakeHeaders,
    /** The next handshakes wait for release(); resolves when the first of them has arrived. */
    holdHandshakes(): Promise<void> {
      held = new Promise((resolve) => (release = resolve));
      return new Promise((resolve) => (arrived = resolve));
    },
    release() {
      held = null;
      release();
    },
  };
}

export interface ClientSocket {
  readonly socket: WebSocket;
  readonly closed: Promise<{ code: number; reason: string; at: number }>;
  next(): Promise<string | ArrayBuffer>;
}

export function handshake(origin: { fetcher: Fetcher }, token: string, path = "/ws", settings: Record<string, string> = {}): Promise<Response> {
  return gatewayFetchWith({ ORIGIN: origin.fetcher, ...settings }, path, { headers: { upgrade: "websocket", cookie: `${COOKIE_NAME}=${token}`, "sec-websocket-extensions": "permessage-deflate; client_max_window_bits" } });
}

/** The client's end of a 101. */
export function clientSocket(response: Response): ClientSocket {
  expect(response.status).toBe(101);
  const socket = response.webSocket!;
  socket.accept();
  socket.binaryType = "arraybuffer";
  const messages: (string | ArrayBuffer)[] = [];
  const waiting: ((data: string | ArrayBuffer) => void)[] = [];
  socket.addEventListener("message", (event) => {
    const resolve = waiting.shift();
    if (resolve) resolve(event.data);
    else messages.push(event.data);
  });
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    socket.addEventListener("close", (event) => resolve({ code: event.code, reason: event.reason, at: Date.now() })),
  );
  return { socket, closed, next: () => (messages.length > 0 ? Promise.resolve(messages.shift()!) : new Promise((resolve) => waiting.push(resolve))) };
}

export async function openSocket(origin: { fetcher: Fetcher }, token: string, path = "/ws", settings: Record<string, string> = {}): Promise<ClientSocket> {
  return clientSocket(await handshake(origin, token, path, settings));
}

export async function roundTrip(open: ClientSocket, data: string | ArrayBuffer): Promise<string | ArrayBuffer> {
  open.socket.send(data);
  return open.next();
}
