import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SessionObject } from "../src/durable/session-object";
import { sessionStub, userIndex, userSessionsStub } from "../src/session/stubs";
import { hashSecret } from "../src/session/token";
import { toView } from "../src/durable/expiry";
import type { CreateSessionInput, SessionRecord } from "../src/session/types";
import { uniqueUser } from "./helpers";

const REALM = "gateway.test";
const ANY_CLIENT = { realm: REALM, endOnUserAgentChange: false };

let sequence = 0;
async function newSession(overrides: Partial<CreateSessionInput> = {}) {
  sequence += 1;
  const publicId = `test-session-${sequence}-${crypto.randomUUID()}`;
  const secretHash = await hashSecret(`secret-${publicId}`);
  const user = overrides.user ?? uniqueUser();
  const input: CreateSessionInput = {
    publicId,
    secretHash,
    realm: REALM,
    user,
    idleTimeoutSeconds: 600,
    absoluteTimeoutSeconds: 3600,
    indexes: [userIndex(REALM, user.sub)],
    ...overrides,
  };
  const stub = sessionStub(env, publicId);
  await stub.create(input);
  return { stub, input };
}

describe("SessionObject", () => {
  it("stores the record under `session` with a hash of the secret, never the secret", async () => {
    const { stub, input } = await newSession({ clientIp: "203.0.113.7", userAgent: "test-agent" });
    const stored = await runInDurableObject(stub, async (instance: SessionObject, state) => {
      expect(instance).toBeInstanceOf(SessionObject);
      return state.storage.list();
    });
    expect([...stored.keys()]).toEqual(["session"]);
    const record = stored.get("session") as Record<string, unknown>;
    expect(record).toMatchObject({ publicId: input.publicId, secretHash: input.secretHash, clientIp: "203.0.113.7", userAgent: "test-agent" });
    expect(JSON.stringify(record)).not.toContain(`secret-${input.publicId}"`);
  });

  it("refuses a touch with the wrong secret hash and keeps the session", async () => {
    const { stub, input } = await newSession();
    expect(await stub.touch(await hashSecret("wrong"), ANY_CLIENT)).toEqual({ ok: false, reason: "secret-mismatch" });
    expect((await stub.touch(input.secretHash, ANY_CLIENT)).ok).toBe(true);
  });

  it("is no session in another realm, and neither touched nor ended by the attempt", async () => {
    const { stub, input } = await newSession();
    const before = (await stub.read())!.lastSeenAt;
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await stub.touch(input.secretHash, { ...ANY_CLIENT, realm: "other.test" })).toEqual({ ok: false, reason: "other-realm" });
    expect((await stub.read())!.lastSeenAt).toBe(before);
    expect((await stub.touch(input.secretHash, ANY_CLIENT)).ok).toBe(true);
  });

  it("treats a record from before realms as a session on no host (fail closed)", async () => {
    const { stub, input } = await newSession({ realm: undefined as unknown as string });
    expect(await stub.touch(input.secretHash, ANY_CLIENT)).toEqual({ ok: false, reason: "other-realm" });
  });

  it("answers unknown for a session that was never created, without storing anything", async () => {
    const stub = sessionStub(env, `never-created-${crypto.randomUUID()}`);
    expect(await stub.touch("0".repeat(64), ANY_CLIENT)).toEqual({ ok: false, reason: "unknown" });
    expect(await runInDurableObject(stub, async (_, state) => (await state.storage.list()).size)).toBe(0);
  });

  it("registers with the user index on create and leaves it on revoke", async () => {
    const { stub, input } = await newSession();
    const index = userSessionsStub(env, REALM, input.user.sub);
    expect((await index.list()).map((view) => view.id)).toEqual([input.publicId]);
    expect(await stub.revoke("logout")).toBe(true);
    // The session took its id out: the index has nothing left to expire, before any listing
    // (which would drop a dead id itself). (The index keeps its ids in SQL, which
    // storage.list() does not show: a size of 0 there held with the id still stored.)
    expect(await runDurableObjectAlarm(index)).toBe(false);
    expect(await index.list()).toEqual([]);
  });

  it("deletes its storage and alarm on revoke, and revoke is idempotent", async () => {
    const { stub, input } = await newSession();
    await stub.revoke("admin");
    expect(await runInDurableObject(stub, async (_, state) => [(await state.storage.list()).size, await state.storage.getAlarm()])).toEqual([0, null]);
    expect(await stub.revoke("admin")).toBe(false);
    expect(await stub.touch(input.secretHash, ANY_CLIENT)).toEqual({ ok: false, reason: "revoked" });
  });
});

describe("UserSessions", () => {
  it("evicts past the cap by creation time, not by absolute expiry", async () => {
    // An older session with a longer lifetime (ABSOLUTE_TIMEOUT_SECONDS was raised since): it
    // is still the oldest, and goes first.
    const user = uniqueUser();
    const older = await newSession({ user, absoluteTimeoutSeconds: 7200 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const newer = await newSession({ user, absoluteTimeoutSeconds: 600 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const newest = await newSession({ user, indexes: [userIndex(REALM, user.sub, 2)] });
    expect(await older.stub.read()).toBeNull();
    expect(await newer.stub.read()).not.toBeNull();
    expect((await userSessionsStub(env, REALM, user.sub).list()).map((view) => view.id)).toEqual([newer.input.publicId, newest.input.publicId]);
  });

  it("revokes every session of the user before answering and forgets them", async () => {
    const user = uniqueUser();
    const sessions = await Promise.all([newSession({ user }), newSession({ user }), newSession({ user })]);
    const index = userSessionsStub(env, REALM, user.sub);
    expect(await index.revokeAll("admin-user")).toBe(3);
    for (const { stub, input } of sessions) {
      expect(await stub.touch(input.secretHash, ANY_CLIENT)).toEqual({ ok: false, reason: "revoked" });
    }
    expect(await index.list()).toEqual([]);
  });

  it("drops ids whose session is no longer live when listing", async () => {
    const user = uniqueUser();
    const live = await newSession({ user });
    const index = userSessionsStub(env, REALM, user.sub);
    // A ghost: an id with no session behind it, added after the live session.
    await index.add("ghost-session-id", Date.now() + 1, Date.now() + 60_000);
    expect((await index.list()).map((view) => view.id)).toEqual([live.input.publicId]);
    // Dropped, not only left out of the answer: it no longer takes a place under the cap. With
    // two places, one more id evicts nothing; had the ghost stayed, the live session (the
    // oldest of three) would have been revoked to make room.
    await index.add("ghost-session-id-2", Date.now() + 2, Date.now() + 60_000, 2);
    expect(await live.stub.read()).not.toBeNull();
    // And once the last id goes, nothing is left to expire: no alarm waits in the index.
    await live.stub.revoke("logout");
    expect(await index.list()).toEqual([]);
    expect(await runDurableObjectAlarm(index)).toBe(false);
  });
});

describe("records written before authenticatedAt existed", () => {
  it("count from their creation time (docs/storage.md)", () => {
    const createdAt = Date.parse("2026-03-01T08:00:00Z");
    const legacy: SessionRecord = {
      publicId: "AAAAAAAAAAAAAAAAAAAAAA",
      secretHash: "00",
      user: { sub: "alice", roles: [] },
      createdAt,
      lastSeenAt: createdAt,
      idleTimeoutMs: 600_000,
      absoluteExpiresAt: createdAt + 3_600_000,
    };
    expect(toView(legacy).authenticatedAt).toBe("2026-03-01T08:00:00.000Z");
    expect(toView({ ...legacy, authenticatedAt: createdAt - 60_000 }).authenticatedAt).toBe("2026-03-01T07:59:00.000Z");
  });
});

describe("SessionObject: identity and authentication time", () => {
  it("keeps the authentication time it is given, but never one after its creation", async () => {
    const past = Date.now() - 120_000;
    const { stub } = await newSession({ authenticatedAt: past });
    expect(Date.parse((await stub.read())!.authenticatedAt!)).toBe(past);
    const future = await newSession({ authenticatedAt: Date.now() + 3_600_000 });
    const view = (await future.stub.read())!;
    expect(view.authenticatedAt).toBe(view.createdAt);
  });

  it("changes the user of a live session only, and says whether it was live", async () => {
    const { stub, input } = await newSession();
    expect(await stub.updateUser({ roles: ["auditor"], name: "New Name" })).toBe(true);
    expect((await stub.read())!.user).toEqual({ ...input.user, roles: ["auditor"], name: "New Name" });
    await stub.revoke("admin");
    expect(await stub.updateUser({ roles: ["admin"] })).toBe(false);
    expect(await stub.read()).toBeNull();
  });
});
