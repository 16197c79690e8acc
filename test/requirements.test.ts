/**
 * The access requirements, key by key, with their edge cases (docs/access-policy.md): AND
 * between keys, OR within a list, and the inputs that must never pass — a look-alike domain,
 * a session without email, an address outside the block written another way, a missing
 * country.
 */
import { describe, expect, it } from "vitest";
import { ipInRange, parseIp, parseIpRange, type IpRange } from "../src/policy/ip-ranges";
import { unmetRequirement, type AccessSubject, type Requirements } from "../src/policy/requirements";

const NOW = Date.parse("2026-06-01T12:00:00Z");

function subject(overrides: Partial<Omit<AccessSubject, "user">> & { user?: Partial<AccessSubject["user"]> } = {}): AccessSubject {
  const { user, ...rest } = overrides;
  return {
    user: { sub: "alice", email: "alice@example.com", roles: ["user"], ...user },
    authenticatedAtMs: NOW,
    clientIp: "192.0.2.10",
    country: "DE",
    nowMs: NOW,
    ...rest,
  };
}

function ranges(...blocks: string[]): IpRange[] {
  return blocks.map((block) => {
    const range = parseIpRange(block);
    if (typeof range === "string") throw new Error(`${block} ${range}`);
    return range;
  });
}

describe("emailDomains", () => {
  const exact: Requirements = { emailDomains: ["example.com"] };
  const wildcard: Requirements = { emailDomains: ["*.example.com"] };
  it.each<[string, string | undefined, Requirements, boolean]>([
    ["the exact domain", "alice@example.com", exact, true],
    ["the exact domain in another case", "Alice@EXAMPLE.com", exact, true],
    ["a subdomain, for an exact entry", "alice@a.example.com", exact, false],
    ["a look-alike suffix", "alice@example.com.evil.test", exact, false],
    ["a look-alike prefix", "alice@notexample.com", exact, false],
    ["a subdomain, for a wildcard", "alice@a.example.com", wildcard, true],
    ["a deeper subdomain, for a wildcard", "alice@b.a.example.com", wildcard, true],
    ["the bare domain, for a wildcard", "alice@example.com", wildcard, false],
    ["a look-alike suffix, for a wildcard", "alice@a.example.com.evil.test", wildcard, false],
    ["a look-alike prefix, for a wildcard", "alice@notexample.com", wildcard, false],
    ["an address that puts the domain in the local part", "example.com@evil.test", exact, false],
    ["an address with two @, the last one counting", "alice@example.com@evil.test", exact, false],
    ["a value without @", "example.com", exact, false],
    ["a session without email", undefined, exact, false],
  ])("%s (%s)", (_, email, requirements, admitted) => {
    const result = unmetRequirement(requirements, subject({ user: { email } }));
    expect(result).toBe(admitted ? null : "emailDomains");
  });
});

describe("emails, users, roles", () => {
  it.each<[string, Requirements, Partial<AccessSubject["user"]>, boolean]>([
    ["an email in the list, compared case-insensitively", { emails: ["alice@example.com"] }, { email: "ALICE@Example.COM" }, true],
    ["an email not in the list", { emails: ["bob@example.com"] }, {}, false],
    ["no email at all", { emails: ["alice@example.com"] }, { email: undefined }, false],
    ["a listed user id", { users: ["bob", "alice"] }, {}, true],
    ["a user id in another case", { users: ["Alice"] }, {}, false],
    ["one of the roles", { roles: ["admin", "user"] }, {}, true],
    ["none of the roles", { roles: ["admin"] }, {}, false],
  ])("%s", (_, requirements, user, admitted) => {
    expect(unmetRequirement(requirements, subject({ user })) === null).toBe(admitted);
  });
});

describe("ips", () => {
  it.each<[string, string[], string | null, boolean]>([
    ["an IPv4 address inside the block", ["192.0.2.0/24"], "192.0.2.10", true],
    ["an IPv4 address outside the block", ["192.0.2.0/24"], "192.0.3.10", false],
    ["an IPv4-mapped IPv6 address inside an IPv4 block", ["192.0.2.0/24"], "::ffff:192.0.2.10", true],
    ["an IPv4-mapped IPv6 address outside an IPv4 block", ["192.0.2.0/24"], "::ffff:198.51.100.1", false],
    ["an IPv4 address inside an IPv4-mapped IPv6 block", ["::ffff:192.0.2.0/120"], "192.0.2.10", true],
    ["an IPv6 address inside the block", ["2001:db8::/32"], "2001:db8:1:2::3", true],
    ["an IPv6 address in upper case", ["2001:db8::/32"], "2001:DB8::1", true],
    ["an IPv6 address outside the block", ["2001:db8::/32"], "2001:db9::1", false],
    ["an IPv4 address against an IPv6 block only", ["2001:db8::/32"], "192.0.2.10", false],
    ["any of several blocks", ["10.0.0.0/8", "2001:db8::/32"], "2001:db8::1", true],
    ["a single address as a block", ["192.0.2.10"], "192.0.2.10", true],
    ["everything, /0", ["0.0.0.0/0"], "203.0.113.9", true],
    ["no CF-Connecting-IP", ["0.0.0.0/0"], null, false],
    ["a CF-Connecting-IP that is not an address", ["0.0.0.0/0"], "unknown", false],
    ["an IPv4 address with a leading zero (octal to some parsers)", ["10.0.0.0/8"], "010.0.0.1", false],
  ])("%s", (_, blocks, clientIp, admitted) => {
    expect(unmetRequirement({ ips: ranges(...blocks) }, subject({ clientIp }))).toBe(admitted ? null : "ips");
  });

  it.each([
    ["10.0.0.1/8", "bits set after the /8 prefix (the block starts at 10.0.0.0/8)"],
    ["10.0.0.0/33", "prefix length that is not 0–32"],
    ["2001:db8::/129", "prefix length that is not 0–128"],
    ["10.0.0.0/08", "prefix length"],
    ["256.0.0.0/8", "not an IPv4 or IPv6 address"],
    ["10.0.0/8", "not an IPv4 or IPv6 address"],
    ["fe80::1%eth0", "not an IPv4 or IPv6 address"],
    ["1:2:3:4:5:6:7:8:9", "not an IPv4 or IPv6 address"],
    ["1::2::3", "not an IPv4 or IPv6 address"],
    ["example.com", "not an IPv4 or IPv6 address"],
  ])("refuses the block %s: %s", (block, message) => {
    expect(parseIpRange(block)).toEqual(expect.stringContaining(message));
  });

  it("reads :: forms and embedded IPv4 alike", () => {
    expect(parseIp("::")).toBe(0n);
    expect(parseIp("::1")).toBe(1n);
    expect(parseIp("::ffff:192.0.2.1")).toBe(parseIp("192.0.2.1"));
    expect(parseIp("0:0:0:0:0:ffff:c000:201")).toBe(parseIp("192.0.2.1"));
    expect(ipInRange(parseIp("2001:db8::")!, ranges("2001:db8::/128")[0]!)).toBe(true);
  });
});

describe("countries", () => {
  it.each<[string, string | null, boolean]>([
    ["a listed country", "DE", true],
    ["a listed country in lower case", "de", true],
    ["another country", "FR", false],
    ["a country missing from cf", null, false],
  ])("%s", (_, country, admitted) => {
    expect(unmetRequirement({ countries: ["DE", "AT"] }, subject({ country }))).toBe(admitted ? null : "countries");
  });
});

describe("maxAuthAgeSeconds", () => {
  it.each<[string, number, boolean]>([
    ["authenticated just now", 0, true],
    ["authenticated exactly the limit ago", 600_000, true],
    ["authenticated a millisecond past the limit", 600_001, false],
  ])("%s", (_, ageMs, admitted) => {
    expect(unmetRequirement({ maxAuthAgeSeconds: 600 }, subject({ authenticatedAtMs: NOW - ageMs }))).toBe(admitted ? null : "maxAuthAgeSeconds");
  });

  it("never admits an unknown authentication time, however generous the limit", () => {
    expect(unmetRequirement({ maxAuthAgeSeconds: 999_999_999 }, subject({ authenticatedAtMs: null }))).toBe("maxAuthAgeSeconds");
    expect(unmetRequirement({ roles: ["admin"] }, subject({ user: { roles: ["admin"] }, authenticatedAtMs: null }))).toBeNull();
  });
});

describe("combining keys", () => {
  const office: Requirements = { roles: ["admin"], ips: ranges("192.0.2.0/24"), maxAuthAgeSeconds: 600 };
  it("admits only when every key holds", () => {
    expect(unmetRequirement(office, subject({ user: { roles: ["admin"] } }))).toBeNull();
  });
  it.each<[string, Partial<Omit<AccessSubject, "user">> & { user?: Partial<AccessSubject["user"]> }, string]>([
    ["the wrong role", { user: { roles: ["user"] } }, "roles"],
    ["outside the office", { user: { roles: ["admin"] }, clientIp: "198.51.100.1" }, "ips"],
    ["too long since sign-in", { user: { roles: ["admin"] }, authenticatedAtMs: NOW - 601_000 }, "maxAuthAgeSeconds"],
    // A new sign-in would not fix the role: that failure is reported, not the age.
    ["the wrong role, long ago", { user: { roles: ["user"] }, authenticatedAtMs: NOW - 601_000 }, "roles"],
  ])("names the key that fails: %s", (_, overrides, key) => {
    expect(unmetRequirement(office, subject(overrides))).toBe(key);
  });
});
