/**
 * The assertion cache behind identity/assertion.ts: a session's assertion is re-used only
 * while everything it states is unchanged and it has 30 s left; the cache is bounded.
 */
import { userPrincipal } from "../src/credentials/principal";
import { decodeJwt, importJWK } from "jose";
import { describe, expect, it } from "vitest";
import { assertionPropagator } from "../src/identity/assertion";
import { assertionCache } from "../src/identity/assertion-cache";
import { headerPropagator } from "../src/identity/headers";
import type { SessionView } from "../src/session/types";
import { privateJwk } from "./assertion-helpers";

const jwk = await privateJwk("reuse-key");
const signingKey = { kid: "reuse-key", alg: "ES256" as const, privateKey: (await importJWK(jwk, "ES256")) as CryptoKey };

const SESSION: SessionView = {
  id: "AAAAAAAAAAAAAAAAAAAAAA",
  user: { sub: "alice", email: "alice@example.com", name: "Alice", roles: ["editor"] },
  createdAt: "2026-01-01T00:00:00.000Z",
  authenticatedAt: "2026-01-01T00:00:00.000Z",
  lastSeenAt: "2026-01-01T00:00:00.000Z",
  idleExpiresAt: "2026-01-01T00:30:00.000Z",
  absoluteExpiresAt: "2026-01-01T08:00:00.000Z",
};

/** A propagator on a clock the test moves, and what it sets for one session. */
function harness(maxEntries = 100) {
  let nowMs = Date.parse("2026-06-01T12:00:00Z");
  const propagator = assertionPropagator(headerPropagator(), {
    signingKey,
    issuer: null,
    audience: null,
    cache: assertionCache({ maxEntries, minRemainingSeconds: 30 }),
    now: () => nowMs,
  });
  const assertionFor = async (session: SessionView, host = "app.example.com", originName = "default") => {
    const headers = new Headers();
    const url = new URL(`https://${host}/x`);
    await propagator.prepare(headers, { request: new Request(url), url, principal: userPrincipal(session), originName });
    return headers.get("x-auth-assertion")!;
  };
  return { assertionFor, advanceSeconds: (seconds: number) => (nowMs += seconds * 1000) };
}

describe("assertion re-use", () => {
  it("hands out the same assertion while it has at least 30 s left, then signs a new one", async () => {
    const { assertionFor, advanceSeconds } = harness();
    const first = await assertionFor(SESSION);
    advanceSeconds(30);
    expect(await assertionFor(SESSION)).toBe(first);
    advanceSeconds(1);
    const second = await assertionFor(SESSION);
    expect(second).not.toBe(first);
    expect(decodeJwt(second).iat).toBe(decodeJwt(first).iat! + 31);
  });

  it.each<[string, SessionView]>([
    ["roles", { ...SESSION, user: { ...SESSION.user, roles: ["editor", "admin"] } }],
    ["sub", { ...SESSION, user: { ...SESSION.user, sub: "alice2" } }],
    ["email", { ...SESSION, user: { ...SESSION.user, email: "other@example.com" } }],
    ["name", { ...SESSION, user: { ...SESSION.user, name: undefined } }],
    ["session id", { ...SESSION, id: "BBBBBBBBBBBBBBBBBBBBBB" }],
    ["auth_time", { ...SESSION, authenticatedAt: "2026-01-01T01:00:00.000Z" }],
  ])("signs a new assertion at once when it states another %s", async (_, changed) => {
    const { assertionFor } = harness();
    const before = await assertionFor(SESSION);
    const after = await assertionFor(changed);
    expect(after).not.toBe(before);
    const claims = decodeJwt(after);
    expect(claims.sub).toBe(changed.user.sub);
    expect(claims.roles).toEqual(changed.user.roles);
    expect(claims.sid).toBe(changed.id);
    expect(claims.auth_time).toBe(Math.floor(Date.parse(changed.authenticatedAt!) / 1000));
  });

  it("signs another assertion for another host (its default issuer and audience)", async () => {
    const { assertionFor } = harness();
    const a = decodeJwt(await assertionFor(SESSION, "a.example.com"));
    const b = decodeJwt(await assertionFor(SESSION, "b.example.com"));
    expect([a.iss, a.aud, b.iss, b.aud]).toEqual(["https://a.example.com", "https://a.example.com", "https://b.example.com", "https://b.example.com"]);
  });

  it("signs another assertion for another origin on the same host: the audience is in what it re-uses by", async () => {
    const { assertionFor } = harness();
    const app = await assertionFor(SESSION, "app.example.com", "default");
    const blog = await assertionFor(SESSION, "app.example.com", "blog");
    expect(blog).not.toBe(app);
    expect([decodeJwt(app).aud, decodeJwt(blog).aud]).toEqual(["https://app.example.com", "https://app.example.com#blog"]);
    expect(await assertionFor(SESSION, "app.example.com", "default")).toBe(app);
  });

  it("takes auth_time from authenticatedAt", async () => {
    const { assertionFor } = harness();
    expect(decodeJwt(await assertionFor(SESSION)).auth_time).toBe(Date.parse(SESSION.authenticatedAt!) / 1000);
    const reauthenticated = { ...SESSION, authenticatedAt: "2026-01-01T02:03:04.999Z" };
    expect(decodeJwt(await assertionFor(reauthenticated)).auth_time).toBe(Date.parse("2026-01-01T02:03:04Z") / 1000);
  });
});

describe("assertionCache", () => {
  it("keeps at most maxEntries, dropping the oldest first", () => {
    const cache = assertionCache({ maxEntries: 2, minRemainingSeconds: 30 });
    cache.set("a", "jwt-a", 1000);
    cache.set("b", "jwt-b", 1000);
    cache.set("c", "jwt-c", 1000);
    expect([cache.get("a", 0), cache.get("b", 0), cache.get("c", 0)]).toEqual([null, "jwt-b", "jwt-c"]);
  });

  it("forgets an entry with under minRemainingSeconds left", () => {
    const cache = assertionCache({ maxEntries: 2, minRemainingSeconds: 30 });
    cache.set("a", "jwt-a", 100);
    expect(cache.get("a", 70)).toBe("jwt-a");
    expect(cache.get("a", 71)).toBeNull();
    expect(cache.get("a", 0)).toBeNull();
  });
});
