import { describe, expect, it } from "vitest";
import { MAX_ROLES, parseLoginHeader, parseSessionUser } from "../src/session/user";
import type { SessionUser } from "../src/session/types";

describe("parseSessionUser", () => {
  it.each<[string, unknown, SessionUser]>([
    ["a subject alone", { sub: "alice" }, { sub: "alice", roles: [] }],
    [
      "every field",
      { sub: "alice", email: "alice@example.com", name: "Alice Smith", roles: ["admin", "editor"] },
      { sub: "alice", email: "alice@example.com", name: "Alice Smith", roles: ["admin", "editor"] },
    ],
    ["roles de-duplicated, in order", { sub: "alice", roles: ["b", "a", "b", "a", "c"] }, { sub: "alice", roles: ["b", "a", "c"] }],
    ["no roles", { sub: "alice", roles: [] }, { sub: "alice", roles: [] }],
    ["non-ASCII text", { sub: "zoë", name: "Zoë 日本 😀", roles: ["río"] }, { sub: "zoë", name: "Zoë 日本 😀", roles: ["río"] }],
    ["spaces and punctuation", { sub: "user:42", name: "O'Brien, Jr.", roles: ["team lead"] }, { sub: "user:42", name: "O'Brien, Jr.", roles: ["team lead"] }],
    ["unknown keys dropped", { sub: "alice", admin: true, token: "x" }, { sub: "alice", roles: [] }],
    ["the longest values", { sub: "s".repeat(256), email: "e".repeat(320), name: "n".repeat(256), roles: ["r".repeat(100)] }, { sub: "s".repeat(256), email: "e".repeat(320), name: "n".repeat(256), roles: ["r".repeat(100)] }],
    ["the most roles", { sub: "alice", roles: Array.from({ length: MAX_ROLES }, (_, i) => `r${i}`) }, { sub: "alice", roles: Array.from({ length: MAX_ROLES }, (_, i) => `r${i}`) }],
  ])("accepts %s", (_, value, expected) => {
    expect(parseSessionUser(value)).toEqual({ ok: true, user: expected });
  });

  it.each<[string, unknown, string]>([
    ["null", null, "identity"],
    ["a string", "alice", "identity"],
    ["an array", [{ sub: "alice" }], "sub"],
    ["a missing sub", { email: "alice@example.com" }, "sub"],
    ["an empty sub", { sub: "" }, "sub"],
    ["a numeric sub", { sub: 42 }, "sub"],
    ["a sub with CR-LF", { sub: "alice\r\nX-Auth-Roles: admin" }, "sub"],
    ["a sub with LF", { sub: "alice\n" }, "sub"],
    ["a sub with NUL", { sub: "alice\u0000" }, "sub"],
    ["a sub with a tab", { sub: "al\tice" }, "sub"],
    ["a sub with DEL", { sub: "alice\u007f" }, "sub"],
    ["a sub with a lone high surrogate", { sub: "alice\uD800" }, "sub"],
    ["a sub with a lone low surrogate", { sub: "\uDC00alice" }, "sub"],
    ["an over-long sub", { sub: "s".repeat(257) }, "sub"],
    ["an email with CR-LF", { sub: "alice", email: "a@example.com\r\n" }, "email"],
    ["an empty email", { sub: "alice", email: "" }, "email"],
    ["an over-long email", { sub: "alice", email: "e".repeat(321) }, "email"],
    ["a name with a control character", { sub: "alice", name: "Alice\u001b[31m" }, "name"],
    ["a name with a lone surrogate", { sub: "alice", name: "\uD83D" }, "name"],
    ["an over-long name", { sub: "alice", name: "n".repeat(257) }, "name"],
    ["roles that are not an array", { sub: "alice", roles: "admin" }, "roles"],
    ["a role that is not a string", { sub: "alice", roles: [1] }, "roles.0"],
    ["an empty role", { sub: "alice", roles: [""] }, "roles.0"],
    ["a role with a comma", { sub: "alice", roles: ["viewer", "admin,editor"] }, "roles.1"],
    ["a role with CR-LF", { sub: "alice", roles: ["admin\r\n"] }, "roles.0"],
    ["a role with a lone surrogate", { sub: "alice", roles: ["\uDFFF"] }, "roles.0"],
    ["an over-long role", { sub: "alice", roles: ["r".repeat(101)] }, "roles.0"],
    ["too many roles", { sub: "alice", roles: Array.from({ length: MAX_ROLES + 1 }, (_, i) => `r${i}`) }, "roles"],
    ["2,000 roles", { sub: "alice", roles: Array.from({ length: 2000 }, (_, i) => `group-${i}`) }, "roles"],
  ])("refuses %s, naming the field", (_, value, field) => {
    const result = parseSessionUser(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem.startsWith(`${field}: `)).toBe(true);
  });

  it("does not echo a refused control-character value into the problem", () => {
    const result = parseSessionUser({ sub: "secret-looking\r\nvalue" });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).not.toContain("secret-looking");
  });
});

describe("parseLoginHeader", () => {
  it("reads the identity from JSON", () => {
    expect(parseLoginHeader('{"sub": "alice", "email": "alice@example.com", "name": "Alice", "roles": ["admin", "admin"]}')).toEqual({
      ok: true,
      user: { sub: "alice", email: "alice@example.com", name: "Alice", roles: ["admin"] },
    });
  });

  it("reads JSON escapes, and still refuses the control characters they spell", () => {
    expect(parseLoginHeader('{"sub": "zo\\u00eb"}')).toEqual({ ok: true, user: { sub: "zoë", roles: [] } });
    expect(parseLoginHeader('{"sub": "alice\\r\\nX-Auth-Roles: admin"}').ok).toBe(false);
    expect(parseLoginHeader('{"sub": "alice\\ud800"}').ok).toBe(false);
  });

  it.each(["", "alice", "{sub: 'alice'}", '{"sub": "alice"', "1", "null", "[]", '"alice"'])("refuses %j", (header) => {
    expect(parseLoginHeader(header).ok).toBe(false);
  });

  it("says when the header is not JSON", () => {
    expect(parseLoginHeader("not json")).toEqual({ ok: false, problem: "not valid JSON" });
  });
});
