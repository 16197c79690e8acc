/**
 * The one value that says what a request's credential turned out to be
 * (credentials/credential.ts), and the answers later steps read from it: which session is
 * used, which cookies a login or logout ends, and whether a refusal clears the cookie. The
 * reader that produces each state is proven through the fetch handler (forged-cookies,
 * cookie-smuggling, session-realms, policy for ALLOWED_USERS).
 */
import { describe, expect, it } from "vitest";
import { clearsCookie, liveSession, presentedPublicIds, principalOf, type Credential } from "../src/credentials/credential";
import { userPrincipal } from "../src/credentials/principal";
import type { SessionView } from "../src/session/types";

const session: SessionView = {
  id: "pub-1",
  user: { sub: "alice", email: "alice@example.com", roles: ["admin"] },
  createdAt: "2026-06-01T12:00:00.000Z",
  authenticatedAt: "2026-06-01T12:00:00.000Z",
  lastSeenAt: "2026-06-01T12:00:00.000Z",
  idleExpiresAt: "2026-06-01T12:10:00.000Z",
  absoluteExpiresAt: "2026-06-01T13:00:00.000Z",
};
const principal = userPrincipal(session);

describe("the credential", () => {
  // [state, credential, live session, presented public ids, clears the cookie]
  it.each<[string, Credential, SessionView | null, readonly string[], boolean]>([
    ["none", { state: "none" }, null, [], false],
    ["ambiguous", { state: "ambiguous", presentedPublicIds: ["pub-1", "pub-2"] }, null, ["pub-1", "pub-2"], false],
    ["forged", { state: "forged" }, null, [], true],
    ["ended", { state: "ended", publicId: "pub-9" }, null, ["pub-9"], true],
    ["live", { state: "live", principal }, session, ["pub-1"], false],
    ["excluded", { state: "excluded", principal, requirement: "ALLOWED_USERS" }, null, ["pub-1"], false],
  ])("reads %s", (_, credential, live, presented, clears) => {
    expect(liveSession(credential)).toBe(live);
    expect(presentedPublicIds(credential)).toEqual(presented);
    expect(clearsCookie(credential)).toBe(clears);
    expect(principalOf(credential)).toBe(live ? principal : null);
  });
});

describe("userPrincipal", () => {
  it("makes a session's user a user principal with its login time", () => {
    expect(principal).toEqual({ kind: "user", id: "alice", roles: ["admin"], email: "alice@example.com", authenticatedAtMs: Date.parse("2026-06-01T12:00:00.000Z"), session });
  });

  it.each([
    ["unknown", null],
    ["unreadable", "not a date"],
  ])("leaves an %s login time unknown, which no maxAuthAgeSeconds accepts", (_, authenticatedAt) => {
    expect(userPrincipal({ ...session, authenticatedAt }).authenticatedAtMs).toBeNull();
  });
});
