/**
 * Service credentials at the store layer (src/services/store.ts) and in their Durable Objects:
 * each credential's object alone says whether its token is good, so a disable, a delete, the
 * expiry and the end of a rotation's grace hold from the very next call on — also for calls in
 * flight across the change — and the live connections it ends are closed before the change
 * answers. Time is a parameter (nowMs); the alarms run with a faked Date.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../src/env";
import { authenticateService, createService, deleteService, listServices, readService, rotateService, updateService, type NewService } from "../src/services/store";
import { directoryStub, serviceStub } from "../src/services/stubs";
import { MAX_SERVICES, type ServiceRecord } from "../src/services/types";
import { watchService } from "../src/services/watch";
import { isRefused, type SessionWatch, type WatchRefused } from "../src/session/watch";
import { importSessionKeys, sessionSecrets } from "../src/session/token";

const bindings = env as unknown as Env;
const keys = await importSessionKeys(sessionSecrets(bindings.SESSION_SECRET!));
const MINUTE_MS = 60_000;

let counter = 0;
/** A fresh name per call: every test has its own credentials. */
function uniqueName(): string {
  counter += 1;
  return `svc-${counter}-${crypto.randomUUID().slice(0, 8)}`;
}

async function newService(input: Partial<NewService> = {}, nowMs = Date.now()) {
  const created = await createService(bindings, keys, { name: uniqueName(), roles: ["deployer"], expiresInSeconds: null, ...input }, nowMs);
  if (!created.ok) throw new Error(`not created: ${created.problem}`);
  return created;
}

async function storedRecord(id: string): Promise<ServiceRecord> {
  return runInDurableObject(serviceStub(bindings, id), async (_, state) => (await state.storage.get<ServiceRecord>("service"))!);
}

async function openWatch(id: string, secretHash?: string, options = {}): Promise<SessionWatch> {
  const watch = await watchService(bindings, id, secretHash, options);
  if (isRefused(watch)) throw new Error(`watch refused: ${watch.refused}`);
  return watch;
}

/** The reason the watch ended with, as soon as it ends (null until then). */
function endedReason(watch: SessionWatch): () => string | null {
  let reason: string | null = null;
  void watch.ended.then((value) => (reason = value));
  return () => reason;
}

/** The secret hash of a token, as authenticateService answers it. */
async function secretHashOf(token: string): Promise<string> {
  const result = await authenticateService(bindings, keys, token, Date.now());
  if (!result.ok) throw new Error(`token refused: ${result.reason}`);
  return result.secretHash;
}

interface Outcome {
  readonly startedAfter: boolean;
  readonly ok: boolean;
  readonly reason: string | null;
}

/**
 * Keeps `lanes` authenticateService calls in flight with `token` while `change` runs, and records
 * for each call whether it started after the change had answered. JavaScript runs one task at a
 * time here, so "started after" is exact: a call reads the flag when it is made. `clock` is the
 * time each call is made at (the expiry tests move it).
 */
async function hammer(token: string, change: () => Promise<void>, clock: () => number = Date.now, lanes = 20): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let changed = false;
  const lane = async () => {
    let after = 0;
    while (after < 3) {
      const startedAfter = changed;
      const result = await authenticateService(bindings, keys, token, clock());
      outcomes.push({ startedAfter, ok: result.ok, reason: result.ok ? null : result.reason });
      if (startedAfter) after++;
    }
  };
  const running = Array.from({ length: lanes }, lane);
  await new Promise((resolve) => setTimeout(resolve, 20));
  await change();
  changed = true;
  await Promise.all(running);
  return outcomes;
}

function expectRefusedAfter(outcomes: Outcome[], reason: string) {
  const before = outcomes.filter((outcome) => !outcome.startedAfter);
  const after = outcomes.filter((outcome) => outcome.startedAfter);
  // The credential really was in use while it changed, and every call after was refused.
  expect(before.filter((outcome) => outcome.ok).length).toBeGreaterThan(0);
  expect(after.length).toBeGreaterThanOrEqual(60);
  expect(after.filter((outcome) => outcome.ok)).toEqual([]);
  expect(new Set(after.map((outcome) => outcome.reason))).toEqual(new Set([reason]));
}

afterEach(() => {
  vi.useRealTimers();
});

describe("creating and reading service credentials", () => {
  it("creates one whose token authenticates, and stores only a hash of its secret", async () => {
    const t0 = Date.now();
    const { service, token } = await newService({ roles: ["deployer", "reader"], expiresInSeconds: 3600 }, t0);
    expect(service).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      name: expect.stringMatching(/^svc-/),
      roles: ["deployer", "reader"],
      createdAt: new Date(t0).toISOString(),
      expiresAt: new Date(t0 + 3_600_000).toISOString(),
      lastUsedAt: null,
      enabled: true,
      previousTokenValidUntil: null,
    });
    expect(token.startsWith(`gws_${service.id}.`)).toBe(true);
    const result = await authenticateService(bindings, keys, token, t0 + 1000);
    expect(result).toMatchObject({ ok: true, service: { id: service.id, name: service.name, roles: ["deployer", "reader"], lastUsedAt: new Date(t0 + 1000).toISOString() } });
    const stored = await storedRecord(service.id);
    const secret = token.split(".")[1]!;
    expect(stored.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(JSON.stringify(await listServices(bindings))).not.toContain(stored.secretHash);
  });

  it("refuses a second credential of the same name, and frees the name once the first is deleted", async () => {
    const { service } = await newService();
    expect(await createService(bindings, keys, { name: service.name, roles: [], expiresInSeconds: null })).toEqual({ ok: false, problem: "duplicate" });
    expect(await deleteService(bindings, service.id)).toEqual(service);
    expect((await createService(bindings, keys, { name: service.name, roles: [], expiresInSeconds: null })).ok).toBe(true);
  });

  it("reserves a name atomically: of ten creations of one name at once, one succeeds", async () => {
    const name = uniqueName();
    const results = await Promise.all(Array.from({ length: 10 }, () => createService(bindings, keys, { name, roles: [], expiresInSeconds: null })));
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => !result.ok && result.problem === "duplicate")).toHaveLength(9);
    expect((await listServices(bindings)).filter((service) => service.name === name)).toHaveLength(1);
  });

  it("holds at most its bound of names (MAX_SERVICES in production)", async () => {
    expect(MAX_SERVICES).toBe(1000);
    const directory = directoryStub(bindings);
    const held = (await directory.list()).length;
    expect(await directory.reserve(uniqueName(), "some-id", Date.now(), held)).toBe("full");
    expect(await directory.reserve(uniqueName(), "another-id", Date.now(), held + 1)).toBe("reserved");
    await directory.remove("another-id");
  });

  it("lists every credential by name, as views without a token or a hash", async () => {
    const created = [await newService(), await newService()];
    const listed = await listServices(bindings);
    for (const { service } of created) expect(listed).toContainEqual(service);
    expect(listed.map((service) => service.name)).toEqual([...listed.map((service) => service.name)].sort());
    for (const view of listed) expect(Object.keys(view).sort()).toEqual(["createdAt", "enabled", "expiresAt", "id", "lastUsedAt", "name", "previousTokenValidUntil", "roles"]);
  });

  it("frees a name whose creation never finished, once the reservation is a minute old", async () => {
    const name = uniqueName();
    const directory = directoryStub(bindings);
    const t0 = Date.now();
    expect(await directory.reserve(name, "an-id-with-no-object", t0)).toBe("reserved");
    await listServices(bindings, t0 + 1000);
    expect((await directory.list()).map((entry) => entry.name)).toContain(name);
    await listServices(bindings, t0 + MINUTE_MS + 1000);
    expect((await directory.list()).map((entry) => entry.name)).not.toContain(name);
  });
});

describe("authenticating a service token", () => {
  it("writes its last use at most once a minute; memory has the exact time", async () => {
    const t0 = Date.now();
    const { service, token } = await newService({}, t0);
    await authenticateService(bindings, keys, token, t0 + 1000);
    expect((await storedRecord(service.id)).lastUsedAt).toBe(t0 + 1000);
    await authenticateService(bindings, keys, token, t0 + 30_000);
    await authenticateService(bindings, keys, token, t0 + 59_000);
    expect((await storedRecord(service.id)).lastUsedAt).toBe(t0 + 1000);
    expect((await readService(bindings, service.id))!.lastUsedAt).toBe(new Date(t0 + 59_000).toISOString());
    await authenticateService(bindings, keys, token, t0 + 61_000);
    expect((await storedRecord(service.id)).lastUsedAt).toBe(t0 + 61_000);
  });

  it("is refused once disabled, and good again once enabled", async () => {
    const { service, token } = await newService();
    expect(await updateService(bindings, service.id, { enabled: false })).toMatchObject({ enabled: false });
    expect(await authenticateService(bindings, keys, token, Date.now())).toEqual({ ok: false, reason: "disabled" });
    await updateService(bindings, service.id, { enabled: true });
    expect((await authenticateService(bindings, keys, token, Date.now())).ok).toBe(true);
  });

  it("carries new roles from the next call on", async () => {
    const { service, token } = await newService({ roles: ["deployer"] });
    await updateService(bindings, service.id, { roles: ["reader"] });
    expect(await authenticateService(bindings, keys, token, Date.now())).toMatchObject({ ok: true, service: { roles: ["reader"] } });
  });

  it("is refused at its expiry and after (time as a parameter)", async () => {
    const t0 = Date.now();
    const { token } = await newService({ expiresInSeconds: 60 }, t0);
    expect((await authenticateService(bindings, keys, token, t0 + 59_999)).ok).toBe(true);
    expect(await authenticateService(bindings, keys, token, t0 + 60_000)).toEqual({ ok: false, reason: "expired" });
  });

  it("is unknown once deleted, and for an id that never was", async () => {
    const { service, token } = await newService();
    expect(await deleteService(bindings, service.id)).toMatchObject({ id: service.id, name: service.name });
    expect(await authenticateService(bindings, keys, token, Date.now())).toEqual({ ok: false, reason: "unknown" });
    expect(await readService(bindings, service.id)).toBeNull();
    expect(await deleteService(bindings, service.id)).toBeNull();
    expect((await listServices(bindings)).map((view) => view.id)).not.toContain(service.id);
  });

  it("after a rotation with no grace: the old token is refused at once, the new one is good", async () => {
    const { service, token } = await newService();
    const rotated = (await rotateService(bindings, keys, service.id, 0))!;
    expect(rotated.service.previousTokenValidUntil).toBeNull();
    expect(rotated.token.startsWith(`gws_${service.id}.`)).toBe(true);
    expect(await authenticateService(bindings, keys, token, Date.now())).toEqual({ ok: false, reason: "rotated" });
    expect((await authenticateService(bindings, keys, rotated.token, Date.now())).ok).toBe(true);
  });

  it("after a rotation with a grace period: the old token is good until it ends, never past the expiry", async () => {
    // Ahead of the clock: the object takes the later of the caller's time and its own.
    const t0 = Date.now() + 10_000;
    const { service, token } = await newService({ expiresInSeconds: 7200 }, t0);
    const rotated = (await rotateService(bindings, keys, service.id, 600, t0))!;
    expect(rotated.service.previousTokenValidUntil).toBe(new Date(t0 + 600_000).toISOString());
    expect((await authenticateService(bindings, keys, token, t0 + 599_999)).ok).toBe(true);
    expect(await authenticateService(bindings, keys, token, t0 + 600_000)).toEqual({ ok: false, reason: "rotated" });
    expect((await authenticateService(bindings, keys, rotated.token, t0 + 600_000)).ok).toBe(true);
    // A grace longer than the credential has left ends at its expiry.
    const again = (await rotateService(bindings, keys, service.id, 30 * 86_400, t0))!;
    expect(again.service.previousTokenValidUntil).toBe(new Date(t0 + 7_200_000).toISOString());
    // Only one previous token: the first one is gone with the second rotation.
    expect(await authenticateService(bindings, keys, token, t0 + 1000)).toEqual({ ok: false, reason: "rotated" });
  });

  it("is unknown to a rotation or an update of an id that never was", async () => {
    const id = "A".repeat(21) + "A";
    expect(await rotateService(bindings, keys, id, 0)).toBeNull();
    expect(await updateService(bindings, id, { enabled: false })).toBeNull();
  });
});

describe("a change holds from the next call on, for calls in flight across it", () => {
  it("refuses every call that starts after a disable answered", { timeout: 60_000 }, async () => {
    const { service, token } = await newService();
    expectRefusedAfter(await hammer(token, async () => void (await updateService(bindings, service.id, { enabled: false }))), "disabled");
  });

  it("refuses every call that starts after a delete answered", { timeout: 60_000 }, async () => {
    const { service, token } = await newService();
    expectRefusedAfter(await hammer(token, async () => void (await deleteService(bindings, service.id))), "unknown");
  });

  it("refuses every call with the old token that starts after a rotation without grace answered", { timeout: 60_000 }, async () => {
    const { service, token } = await newService();
    expectRefusedAfter(await hammer(token, async () => void (await rotateService(bindings, keys, service.id, 0))), "rotated");
  });

  it("refuses every call made at or after the expiry", { timeout: 60_000 }, async () => {
    const t0 = Date.now();
    const { token } = await newService({ expiresInSeconds: 120 }, t0);
    let nowMs = t0;
    expectRefusedAfter(await hammer(token, async () => void (nowMs = t0 + 120_000), () => nowMs), "expired");
  });

  it("refuses every call with the old token made at or after the end of the rotation's grace", { timeout: 60_000 }, async () => {
    const t0 = Date.now() + 10_000;
    const { service, token } = await newService({}, t0);
    await rotateService(bindings, keys, service.id, 300, t0);
    let nowMs = t0;
    expectRefusedAfter(await hammer(token, async () => void (nowMs = t0 + 300_000), () => nowMs), "rotated");
  });
});

describe("a service credential's watch (its live connections)", () => {
  it("is closed before a disable answers", async () => {
    const { service } = await newService();
    const watch = await openWatch(service.id);
    const reason = endedReason(watch);
    await updateService(bindings, service.id, { enabled: false });
    expect(reason()).toBe("session ended");
  });

  it("is closed before a delete answers", async () => {
    const { service } = await newService();
    const watch = await openWatch(service.id);
    const reason = endedReason(watch);
    await deleteService(bindings, service.id);
    expect(reason()).toBe("session ended");
  });

  it("is closed with 'identity changed' before a change of roles answers, and kept by a change to the same roles", async () => {
    const { service } = await newService({ roles: ["a", "b"] });
    const watch = await openWatch(service.id, undefined, { roles: ["a", "b"] });
    const reason = endedReason(watch);
    await updateService(bindings, service.id, { roles: ["b", "a"] });
    expect(reason()).toBeNull();
    await updateService(bindings, service.id, { roles: ["a"] });
    expect(reason()).toBe("identity changed");
  });

  it("of the old token is closed before a rotation without grace answers; one for the credential as a whole stays", async () => {
    const { service, token } = await newService();
    const oldSecret = await openWatch(service.id, await secretHashOf(token));
    const wholeCredential = await openWatch(service.id);
    const oldEnded = endedReason(oldSecret);
    const wholeEnded = endedReason(wholeCredential);
    await rotateService(bindings, keys, service.id, 0);
    expect(oldEnded()).toBe("session ended");
    expect(wholeEnded()).toBeNull();
    wholeCredential.close();
  });

  it("of the old token lives through a rotation's grace and is closed by the alarm at its end", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const { service, token } = await newService({}, t0);
    const watch = await openWatch(service.id, await secretHashOf(token));
    const reason = endedReason(watch);
    await rotateService(bindings, keys, service.id, 300, t0);
    vi.setSystemTime(t0 + 299_000);
    await runDurableObjectAlarm(serviceStub(bindings, service.id));
    expect(reason()).toBeNull();
    vi.setSystemTime(t0 + 300_001);
    expect(await runDurableObjectAlarm(serviceStub(bindings, service.id))).toBe(true);
    await vi.waitFor(() => expect(reason()).toBe("session ended"));
    expect((await readService(bindings, service.id))!.previousTokenValidUntil).toBeNull();
  });

  it("is closed by the alarm at the expiry", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const { service } = await newService({ expiresInSeconds: 60 }, t0);
    const watch = await openWatch(service.id);
    const reason = endedReason(watch);
    vi.setSystemTime(t0 + 60_000);
    expect(await runDurableObjectAlarm(serviceStub(bindings, service.id))).toBe(true);
    await vi.waitFor(() => expect(reason()).toBe("session ended"));
    // Kept, expired, until an admin deletes it: the list says so.
    expect(await readService(bindings, service.id)).toMatchObject({ expiresAt: new Date(t0 + 60_000).toISOString() });
  });

  it.each<[string, (id: string, token: string) => Promise<SessionWatch | WatchRefused>, WatchRefused]>([
    ["of a disabled credential", async (id) => (await updateService(bindings, id, { enabled: false }), watchService(bindings, id)), { refused: "session ended" }],
    ["of an unknown credential", async () => watchService(bindings, "B".repeat(21) + "A"), { refused: "session ended" }],
    ["of a secret that is not the credential's", async (id) => watchService(bindings, id, "0".repeat(64)), { refused: "session ended" }],
    ["for roles the credential no longer has", async (id) => watchService(bindings, id, undefined, { roles: ["admin"] }), { refused: "identity changed" }],
    ["beyond its cap", async (id) => (await openWatch(id, undefined, { maxConnections: 1 }), watchService(bindings, id, undefined, { maxConnections: 1 })), { refused: "too many connections", limit: "session" }],
  ])("is refused %s", async (_, open, refusal) => {
    const { service, token } = await newService({ roles: ["deployer"] });
    expect(await open(service.id, token)).toEqual(refusal);
  });

  it("counts a watched connection's activity as a use, at most once a minute", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t0 = Date.now();
    vi.setSystemTime(t0);
    const { service } = await newService({}, t0);
    const watch = await openWatch(service.id);
    watch.activity();
    vi.setSystemTime(t0 + MINUTE_MS + 1000);
    watch.activity();
    await vi.waitFor(async () => expect((await readService(bindings, service.id))!.lastUsedAt).not.toBeNull());
    expect(Date.parse((await readService(bindings, service.id))!.lastUsedAt!)).toBeGreaterThanOrEqual(t0 + MINUTE_MS + 1000);
    watch.close();
  });
});
