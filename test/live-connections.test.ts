/**
 * Live connections end with their session (docs/live-connections.md; SECURITY.md X-11): a
 * WebSocket relayed with a session is closed — both legs, the client's with 1008 `session
 * ended` — when the session ends for any reason, and a streamed response is cut. The origin
 * here is a stand-in that records every frame it receives, so "nothing after the end reaches
 * the origin" is read from what it actually got.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../src/env";
import { sessionStub } from "../src/session/stubs";
import { clientSocket, roundTrip, watchUrl, type ClientSocket } from "./live-helpers";
import { adminFetch, COOKIE_NAME, fetchWithSession, gatewayFetchWith, login, uniqueUser } from "./helpers";

/**
 * How long a test waits for an effect that follows an event (the origin's leg closed, the
 * session object's lastSeenAt): vitest's default of 1 s once ran out on a loaded 2-core machine,
 * with the effect still to come. Bounds that are guarantees are asserted on their own.
 */
const EVENTUALLY = { timeout: 10_000 };

const bindings = env as unknown as Env;

/** An origin whose WebSocket echoes every frame and records it, and whose /events streams. */
function recordingOrigin() {
  const received: (string | ArrayBuffer)[] = [];
  const originCloses: { code: number; reason: string }[] = [];
  let sockets: WebSocket[] = [];
  let stream: ReadableStreamDefaultController<Uint8Array> | null = null;
  let streamCancelled = false;
  const fetcher = {
    async fetch(request: Request): Promise<Response> {
      const url = new URL(request.url);
      if (url.pathname === "/events") {
        const body = new ReadableStream<Uint8Array>({
          start: (controller) => {
            stream = controller;
            controller.enqueue(new TextEncoder().encode("data: first\n\n"));
          },
          cancel: () => {
            streamCancelled = true;
          },
        });
        return new Response(body, { headers: { "content-type": "text/event-stream" } });
      }
      const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
      server.accept();
      server.binaryType = "arraybuffer";
      sockets.push(server);
      server.addEventListener("message", (event) => {
        received.push(event.data);
        server.send(event.data);
      });
      server.addEventListener("close", (event) => {
        originCloses.push({ code: event.code, reason: event.reason });
      });
      return new Response(null, { status: 101, webSocket: client, headers: { "sec-websocket-protocol": "chat" } });
    },
  } as unknown as Fetcher;
  return {
    fetcher,
    received,
    originCloses,
    get socket() {
      return sockets.at(-1)!;
    },
    push(text: string) {
      stream!.enqueue(new TextEncoder().encode(text));
    },
    get streamCancelled() {
      return streamCancelled;
    },
    reset() {
      sockets = [];
    },
  };
}

type OpenSocket = ClientSocket;

async function openSocket(origin: ReturnType<typeof recordingOrigin>, token: string | null, path = "/ws", overrides: Partial<Env> = {}): Promise<OpenSocket> {
  const headers: Record<string, string> = { upgrade: "websocket", "sec-websocket-protocol": "chat" };
  if (token) headers.cookie = `${COOKIE_NAME}=${token}`;
  return clientSocket(await gatewayFetchWith({ ORIGIN: origin.fetcher, ...overrides }, path, { headers }));
}

async function expectEndedBySession(open: OpenSocket, origin: ReturnType<typeof recordingOrigin>, endedAt: number) {
  const closed = await open.closed;
  expect(closed).toMatchObject({ code: 1008, reason: "session ended" });
  expect(closed.at - endedAt).toBeLessThan(1000);
  // The origin's leg is closed too.
  await vi.waitFor(() => expect(origin.originCloses).toEqual([{ code: 1008, reason: "session ended" }]), EVENTUALLY);
  // Nothing sent after the end reaches the origin.
  const before = origin.received.length;
  try {
    open.socket.send("delete everything");
  } catch {
    // The socket refuses sends once closed: nothing left the client either.
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(origin.received.slice(before)).toEqual([]);
  expect(origin.received).not.toContain("delete everything");
}

/** A relayed socket whose session started at `t0` on a faked Date (the session object reads it too). */
async function socketOnFakeClock(): Promise<{ t0: number; id: string; open: OpenSocket }> {
  vi.useFakeTimers({ toFake: ["Date"] });
  const t0 = Date.now();
  vi.setSystemTime(t0);
  const { token } = await login(uniqueUser());
  return { t0, id: token.split(".")[0]!, open: await openSocket(recordingOrigin(), token) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("a WebSocket with a session", () => {
  it("relays text and binary frames, large ones too, unchanged both ways, and the subprotocol", async () => {
    const origin = recordingOrigin();
    const { token } = await login(uniqueUser());
    const open = await openSocket(origin, token);
    expect(await roundTrip(open, "hello")).toBe("hello");
    const bytes = new Uint8Array(256 * 1024).map((_, i) => i % 251);
    const echoed = await roundTrip(open, bytes.buffer);
    expect(echoed).toBeInstanceOf(ArrayBuffer);
    expect(new Uint8Array(echoed as ArrayBuffer)).toEqual(bytes);
    const big = "x".repeat(512 * 1024);
    expect(await roundTrip(open, big)).toBe(big);
    expect(origin.received[0]).toBe("hello");
    open.socket.close(4001, "bye for now");
    await vi.waitFor(() => expect(origin.originCloses).toEqual([{ code: 4001, reason: "bye for now" }]), EVENTUALLY);
  });

  it("passes the origin's close code and reason to the client", async () => {
    const origin = recordingOrigin();
    const { token } = await login(uniqueUser());
    const open = await openSocket(origin, token);
    await roundTrip(open, "ping");
    origin.socket.close(4321, "origin says goodbye");
    expect(await open.closed).toMatchObject({ code: 4321, reason: "origin says goodbye" });
  });

  it("is closed with 1008 within a second of a logout, and nothing sent after reaches the origin", async () => {
    const origin = recordingOrigin();
    const { token } = await login(uniqueUser());
    const open = await openSocket(origin, token);
    await roundTrip(open, "before");
    const response = await fetchWithSession(token, "/_gateway/logout", { method: "POST", headers: { "sec-fetch-site": "same-origin" } });
    expect(response.status).toBe(204);
    await expectEndedBySession(open, origin, Date.now());
    expect(origin.received).toEqual(["before"]);
  });

  it("is closed by an admin revoke of that session", async () => {
    const origin = recordingOrigin();
    const { token } = await login(uniqueUser());
    const open = await openSocket(origin, token);
    await roundTrip(open, "before");
    expect((await adminFetch(`/sessions/${token.split(".")[0]}`, { method: "DELETE" })).status).toBe(204);
    await expectEndedBySession(open, origin, Date.now());
  });

  it("lets no frame the client sends once a revoke has answered reach the origin, however busy the socket", async () => {
    const origin = recordingOrigin();
    const { token } = await login(uniqueUser());
    const open = await openSocket(origin, token);
    await roundTrip(open, "warm");
    let answered = false;
    let sent = 0;
    const sender = setInterval(() => {
      try {
        for (let i = 0; i < 20; i++) open.socket.send(`${answered ? "after" : "before"} ${sent++}`);
      } catch {
        clearInterval(sender);
      }
    }, 1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const revoke = adminFetch(`/sessions/${token.split(".")[0]}`, { method: "DELETE" });
    expect((await revoke).status).toBe(204);
    answered = true;
    await open.closed;
    clearInterval(sender);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(origin.received.filter((frame) => String(frame).startsWith("before")).length).toBeGreaterThan(0);
    expect(origin.received.filter((frame) => String(frame).startsWith("after"))).toEqual([]);
  });

  it("is closed by an admin's revoke-all of the user, on every socket of that user", async () => {
    const origin = recordingOrigin();
    const user = uniqueUser();
    const first = await openSocket(origin, (await login(user)).token);
    const second = await openSocket(origin, (await login(user)).token);
    await roundTrip(first, "a");
    await roundTrip(second, "b");
    expect((await adminFetch(`/users/${user.sub}/sessions`, { method: "DELETE" })).status).toBe(204);
    const endedAt = Date.now();
    for (const open of [first, second]) {
      const closed = await open.closed;
      expect(closed).toMatchObject({ code: 1008, reason: "session ended" });
      expect(closed.at - endedAt).toBeLessThan(1000);
    }
  });

  it("is closed when the per-user cap evicts its session", async () => {
    const origin = recordingOrigin();
    const user = uniqueUser();
    const oldest = await openSocket(origin, (await login(user)).token);
    await roundTrip(oldest, "a");
    // The cap is the login's (the default env's 10 would not evict): log in with a cap of 1.
    const capped = await gatewayFetchWith({ MAX_SESSIONS_PER_USER: "1" } as Partial<Env>, "/login", {
      method: "POST",
      headers: { "x-echo-respond": JSON.stringify({ "X-Gateway-Login": JSON.stringify(user) }) },
    });
    expect(capped.headers.getSetCookie().join()).toContain(COOKIE_NAME);
    await expectEndedBySession(oldest, origin, Date.now());
  });

  it("is closed with 1008 'identity changed' when an admin changes the user's identity; a new socket carries the new one", async () => {
    const origin = recordingOrigin();
    const user = uniqueUser({ roles: ["admin"] });
    const { token } = await login(user);
    const open = await openSocket(origin, token);
    await roundTrip(open, "as admin");
    const patch = await adminFetch(`/users/${user.sub}/sessions`, { method: "PATCH", headers: { "content-type": "application/json" }, body: JSON.stringify({ roles: ["user"] }) });
    expect(patch.status).toBe(200);
    const closed = await open.closed;
    expect(closed).toMatchObject({ code: 1008, reason: "identity changed" });
    await vi.waitFor(() => expect(origin.originCloses).toEqual([{ code: 1008, reason: "identity changed" }]), EVENTUALLY);
    // The session lives on: a new socket is relayed, and requests see the new roles.
    const again = await openSocket(origin, token);
    expect(await roundTrip(again, "as user")).toBe("as user");
    expect((await fetchWithSession(token, "/admin")).status).toBe(403);
  });

  it("is closed by the idle timeout; client frames count as activity", async () => {
    const { t0, id, open } = await socketOnFakeClock();
    // 400 s of the 600 s idle timeout pass; a frame then counts as activity.
    vi.setSystemTime(t0 + 400_000);
    await roundTrip(open, "still here");
    await vi.waitFor(async () => {
      const view = await (await adminFetch(`/sessions/${id}`)).json<{ lastSeenAt: string }>();
      // Fake Date still moves with the real clock within a step: the frame's own time.
      expect(Date.parse(view.lastSeenAt)).toBeGreaterThanOrEqual(t0 + 400_000);
      expect(Date.parse(view.lastSeenAt)).toBeLessThan(t0 + 410_000);
    }, EVENTUALLY);
    // 800 s after login, 400 s after the frame: alive, because of the frame.
    vi.setSystemTime(t0 + 800_000);
    await runDurableObjectAlarm(sessionStub(bindings, id));
    expect((await adminFetch(`/sessions/${id}`)).status).toBe(200);
    // Past 600 s after the frame: the alarm ends the session, and the socket with it.
    vi.setSystemTime(t0 + 400_000 + 600_000 + 10_000);
    await runDurableObjectAlarm(sessionStub(bindings, id));
    vi.useRealTimers();
    const closed = await open.closed;
    expect(closed).toMatchObject({ code: 1008, reason: "session ended" });
  });

  it("is closed by the absolute timeout, however active", async () => {
    const { t0, id, open } = await socketOnFakeClock();
    for (let at = 500_000; at < 3_600_000; at += 500_000) {
      vi.setSystemTime(t0 + at);
      await roundTrip(open, `active at ${at}`);
    }
    vi.setSystemTime(t0 + 3_600_000);
    await runDurableObjectAlarm(sessionStub(bindings, id));
    vi.useRealTimers();
    expect(await open.closed).toMatchObject({ code: 1008, reason: "session ended" });
  });

  it("on a public route without a session is passed through as before", async () => {
    const origin = recordingOrigin();
    const open = await openSocket(origin, null, "/public/ws");
    expect(await roundTrip(open, "anyone")).toBe("anyone");
  });

  it("is refused at the handshake without a session, as any request", async () => {
    const origin = recordingOrigin();
    const response = await gatewayFetchWith({ ORIGIN: origin.fetcher }, "/ws", { headers: { upgrade: "websocket" } });
    expect(response.status).toBe(401);
    expect(response.webSocket).toBeNull();
  });
});

describe("the watch a live connection holds", () => {
  it("is refused (410) by a session that is no longer live, so the connection is never relayed", async () => {
    const user = uniqueUser();
    const { token } = await login(user);
    const id = token.split(".")[0]!;
    const stub = sessionStub(bindings, id);
    const live = await stub.fetch(watchUrl(user), { headers: { upgrade: "websocket" } });
    expect(live.status).toBe(101);
    live.webSocket!.accept();
    const closed = new Promise<number>((resolve) => live.webSocket!.addEventListener("close", (event) => resolve(event.code)));
    await adminFetch(`/sessions/${id}`, { method: "DELETE" });
    expect(await closed).toBe(1000);
    expect((await stub.fetch(watchUrl(user), { headers: { upgrade: "websocket" } })).status).toBe(410);
  });
});

describe("a streamed response with a session", () => {
  it("is cut within a second of a logout, and the origin's stream is cancelled", async () => {
    const origin = recordingOrigin();
    const { token } = await login(uniqueUser());
    const response = await gatewayFetchWith({ ORIGIN: origin.fetcher }, "/events", { headers: { cookie: `${COOKIE_NAME}=${token}` } });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    expect(decoder.decode((await reader.read()).value)).toBe("data: first\n\n");
    origin.push("data: second\n\n");
    expect(decoder.decode((await reader.read()).value)).toBe("data: second\n\n");

    await fetchWithSession(token, "/_gateway/logout", { method: "POST", headers: { "sec-fetch-site": "same-origin" } });
    const endedAt = Date.now();
    await expect(reader.read()).rejects.toThrow();
    expect(Date.now() - endedAt).toBeLessThan(1000);
    await vi.waitFor(() => expect(origin.streamCancelled).toBe(true), EVENTUALLY);
  });
});
