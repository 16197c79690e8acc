import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { sessionStub, userSessionsStub } from "../src/session/stubs";
import { fetchWithSession, login, uniqueUser } from "./helpers";

// Test bindings: IDLE_TIMEOUT_SECONDS = 600, ABSOLUTE_TIMEOUT_SECONDS = 3600.
const IDLE_MS = 600_000;
const ABSOLUTE_MS = 3_600_000;
// In the future: an alarm set in the (real) past would fire at once and race the test.
const T0 = Math.ceil(Date.now() / 1000) * 1000 + 30 * 24 * 3600 * 1000;

function at(ms: number): void {
  vi.setSystemTime(T0 + ms);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  at(0);
});
afterEach(() => {
  vi.useRealTimers();
});

describe("idle timeout", () => {
  it("keeps a session used within the idle timeout", async () => {
    const { token } = await login(uniqueUser());
    at(IDLE_MS - 1000);
    expect((await fetchWithSession(token, "/anything")).status).toBe(200);
  });

  it("ends a session left unused for the idle timeout", async () => {
    const { token } = await login(uniqueUser());
    at(IDLE_MS);
    expect((await fetchWithSession(token, "/anything")).status).toBe(401);
    at(IDLE_MS + 1000);
    expect((await fetchWithSession(token, "/anything")).status).toBe(401);
  });

  it("extends the idle deadline on each use", async () => {
    const { token } = await login(uniqueUser());
    for (let step = 1; step <= 5; step++) {
      at(step * (IDLE_MS - 1000));
      expect((await fetchWithSession(token, "/anything")).status).toBe(200);
    }
    at(5 * (IDLE_MS - 1000) + IDLE_MS);
    expect((await fetchWithSession(token, "/anything")).status).toBe(401);
  });
});

describe("absolute timeout", () => {
  it("ends a session at the absolute timeout however active it is", async () => {
    const { token } = await login(uniqueUser());
    for (let ms = 300_000; ms < ABSOLUTE_MS; ms += 300_000) {
      at(ms);
      expect((await fetchWithSession(token, "/anything")).status, `at ${ms} ms`).toBe(200);
    }
    at(ABSOLUTE_MS);
    expect((await fetchWithSession(token, "/anything")).status).toBe(401);
  });

  it("never extends the idle deadline past the absolute one", async () => {
    const { token } = await login(uniqueUser());
    at(ABSOLUTE_MS - 1000);
    // Keep it alive right up to the end: each step is within the idle timeout.
    for (let ms = 500_000; ms < ABSOLUTE_MS; ms += 500_000) {
      at(ms);
      await fetchWithSession(token, "/anything");
    }
    at(ABSOLUTE_MS - 1000);
    const session = await (await fetchWithSession(token, "/_gateway/session")).json<{ idleExpiresAt: string; absoluteExpiresAt: string }>();
    expect(session.idleExpiresAt).toBe(session.absoluteExpiresAt);
    expect(Date.parse(session.absoluteExpiresAt)).toBe(T0 + ABSOLUTE_MS);
  });
});

describe("expiry alarm", () => {
  it("deletes the session's storage and forgets it in the user index once it is over", async () => {
    const user = uniqueUser();
    const { token } = await login(user);
    const publicId = token.split(".")[0]!;
    const stub = sessionStub(env, publicId);
    expect(await runInDurableObject(stub, (_, state) => state.storage.get("session"))).toBeDefined();
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBe(T0 + IDLE_MS);

    at(IDLE_MS + 1);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, async (_, state) => [...(await state.storage.list()).keys()])).toEqual([]);
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBeNull();
    expect(await userSessionsStub(env, "gateway.test", user.sub).list()).toEqual([]);
  });

  it("re-arms instead of deleting when the session was used since the alarm was set", async () => {
    const { token } = await login(uniqueUser());
    const stub = sessionStub(env, token.split(".")[0]!);
    at(IDLE_MS / 2);
    expect((await fetchWithSession(token, "/anything")).status).toBe(200);
    at(IDLE_MS + 1);
    await runDurableObjectAlarm(stub);
    expect(await runInDurableObject(stub, (_, state) => state.storage.get("session"))).toBeDefined();
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBe(T0 + IDLE_MS / 2 + IDLE_MS);
    expect((await fetchWithSession(token, "/anything")).status).toBe(200);
  });
});

describe("touch coalescing", () => {
  it("writes lastSeenAt at most once per tenth of the idle timeout", async () => {
    const { token } = await login(uniqueUser());
    const stub = sessionStub(env, token.split(".")[0]!);
    const storedLastSeen = () => runInDurableObject(stub, async (_, state) => (await state.storage.get<{ lastSeenAt: number }>("session"))!.lastSeenAt);
    const window = IDLE_MS / 10;

    for (let ms = 1000; ms < window; ms += 5000) {
      at(ms);
      expect((await fetchWithSession(token, "/anything")).status).toBe(200);
    }
    expect(await storedLastSeen()).toBe(T0);

    at(window);
    await fetchWithSession(token, "/anything");
    expect(await storedLastSeen()).toBe(T0 + window);
  });
});
