import { describe, expect, it } from "vitest";
import {
  clearedSessionSetCookie,
  cookieHeaderWithout,
  MAX_COOKIE_HEADER_LENGTH,
  readSessionCookie,
  sessionSetCookie,
  type SessionCookie,
} from "../src/http/cookies";

const NAME = "__Host-session";
const HOST_ONLY = { name: NAME, domain: null };
const TOKEN = "AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBA.CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCA";

describe("readSessionCookie", () => {
  it.each<[string, string | null, SessionCookie]>([
    ["no header", null, { kind: "none" }],
    ["an empty header", "", { kind: "none" }],
    ["only the session cookie", `${NAME}=${TOKEN}`, { kind: "one", value: TOKEN }],
    ["the session cookie among others", `a=1; ${NAME}=${TOKEN}; b=2`, { kind: "one", value: TOKEN }],
    ["spaces around the name and value", `a=1 ;  ${NAME} = ${TOKEN}  ; b=2`, { kind: "one", value: TOKEN }],
    ["tabs around the pair", `a=1;\t${NAME}=${TOKEN}\t`, { kind: "one", value: TOKEN }],
    ["no space after the separator", `a=1;${NAME}=${TOKEN};b=2`, { kind: "one", value: TOKEN }],
    ["empty pairs", `;; ${NAME}=${TOKEN};;`, { kind: "one", value: TOKEN }],
    ["an empty value", `${NAME}=`, { kind: "one", value: "" }],
    ["a value with an =", `${NAME}=a=b`, { kind: "one", value: "a=b" }],
    ["`session=` only", `session=${TOKEN}`, { kind: "none" }],
    ["`__host-session=` only (wrong case)", `__host-session=${TOKEN}`, { kind: "none" }],
    ["`__HOST-SESSION=` only (wrong case)", `__HOST-SESSION=${TOKEN}`, { kind: "none" }],
    ["`__Secure-session=` only", `__Secure-session=${TOKEN}`, { kind: "none" }],
    ["`__Host-session2=` only", `__Host-session2=${TOKEN}`, { kind: "none" }],
    ["`x__Host-session=` only", `x__Host-session=${TOKEN}`, { kind: "none" }],
    ["the name as a bare value", `${NAME}`, { kind: "none" }],
    ["the name inside another cookie's value", `a=${NAME}=${TOKEN}`, { kind: "none" }],
    ["a wrong-case copy beside the real one", `__host-session=evil; ${NAME}=${TOKEN}`, { kind: "one", value: TOKEN }],
    ["two copies", `${NAME}=${TOKEN}; ${NAME}=other`, { kind: "ambiguous", values: [TOKEN, "other"] }],
    ["two identical copies", `${NAME}=${TOKEN}; ${NAME}=${TOKEN}`, { kind: "ambiguous", values: [TOKEN, TOKEN] }],
    ["a second, empty copy", `${NAME}=${TOKEN}; ${NAME}=`, { kind: "ambiguous", values: [TOKEN, ""] }],
    ["a second copy written with spaces", `${NAME}=${TOKEN}; ${NAME} =x`, { kind: "ambiguous", values: [TOKEN, "x"] }],
    // RFC 6265bis §5.4: pairs are split on ";" only; a comma belongs to the value.
    ["the session cookie after a comma inside another cookie", `x=a,${NAME}=${TOKEN}`, { kind: "none" }],
    ["a copy after a comma beside the real one", `x=a,${NAME}=evil; ${NAME}=${TOKEN}`, { kind: "one", value: TOKEN }],
    ["two Cookie lines joined with a comma", `a=1, ${NAME}=${TOKEN}`, { kind: "none" }],
    ["a value with a comma", `${NAME}=${TOKEN},x`, { kind: "one", value: `${TOKEN},x` }],
  ])("reads %s", (_, header, expected) => {
    expect(readSessionCookie(header, NAME)).toEqual(expected);
  });

  it("reads a header of exactly the maximum length", () => {
    const pair = `${NAME}=${TOKEN}`;
    const header = `junk=${"x".repeat(MAX_COOKIE_HEADER_LENGTH - pair.length - "junk=; ".length)}; ${pair}`;
    expect(header).toHaveLength(MAX_COOKIE_HEADER_LENGTH);
    expect(readSessionCookie(header, NAME)).toEqual({ kind: "one", value: TOKEN });
  });

  it("treats an oversized header as having no session cookie", () => {
    const header = `junk=${"x".repeat(MAX_COOKIE_HEADER_LENGTH)}; ${NAME}=${TOKEN}`;
    expect(readSessionCookie(header, NAME)).toEqual({ kind: "none" });
  });

  it("reads under the configured name only", () => {
    expect(readSessionCookie(`${NAME}=a; __Host-other=b`, "__Host-other")).toEqual({ kind: "one", value: "b" });
  });
});

describe("cookieHeaderWithout", () => {
  it.each<[string, string | null, string | null]>([
    ["no header", null, null],
    ["an empty header", "", null],
    ["only the session cookie", `${NAME}=${TOKEN}`, null],
    ["the session cookie among others", `a=1; ${NAME}=${TOKEN}; b=2`, "a=1; b=2"],
    ["the session cookie written with spaces", `a=1;  ${NAME} = ${TOKEN} ;b=2`, "a=1; b=2"],
    ["two copies of the session cookie", `${NAME}=x; a=1; ${NAME}=y`, "a=1"],
    ["other cookies only", "a=1; b=2", "a=1; b=2"],
    ["wrong-case look-alikes, which are not the session cookie", `__host-session=1; session=2`, "__host-session=1; session=2"],
    ["a bare value", `flag; ${NAME}=${TOKEN}`, "flag"],
    ["empty pairs", `;; a=1;; ${NAME}=${TOKEN};`, "a=1"],
    ["a cookie whose value has commas, which passes intact", `prefs=a,b; ${NAME}=${TOKEN}`, "prefs=a,b"],
    ["a pair that holds the session cookie after a comma, which goes whole", `x=a,${NAME}=${TOKEN}; b=2`, "b=2"],
    ["two Cookie lines joined with a comma", `a=1, ${NAME}=${TOKEN}`, null],
  ])("removes the session cookie from %s", (_, header, expected) => {
    expect(cookieHeaderWithout(header, [NAME])).toBe(expected);
  });

  it("removes every named cookie", () => {
    expect(cookieHeaderWithout(`a=1; ${NAME}=x; __Host-tx=y; b=2`, [NAME, "__Host-tx"])).toBe("a=1; b=2");
  });

  it("never forwards a token that a comma-splitting reader would find", () => {
    const stripped = cookieHeaderWithout(`a=1, ${NAME}=${TOKEN}; theme=dark`, [NAME]);
    expect(stripped).toBe("theme=dark");
  });

  it("agrees with readSessionCookie: what it reads is what it removes", () => {
    const header = `a=1; ${NAME}=${TOKEN}; b=2`;
    const stripped = cookieHeaderWithout(header, [NAME]);
    expect(readSessionCookie(header, NAME).kind).toBe("one");
    expect(readSessionCookie(stripped, NAME).kind).toBe("none");
    expect(stripped).not.toContain(TOKEN);
  });
});

describe("sessionSetCookie", () => {
  it("sets the __Host- cookie with Max-Age, Path=/, HttpOnly, Secure, SameSite=Lax and no Domain", () => {
    expect(sessionSetCookie(HOST_ONLY, TOKEN, 3600)).toBe(`${NAME}=${TOKEN}; Max-Age=3600; Path=/; HttpOnly; Secure; SameSite=Lax`);
  });

  it("never sets Domain, Expires or SameSite=None", () => {
    const header = sessionSetCookie(HOST_ONLY, TOKEN, 3600);
    expect(header).not.toMatch(/domain|expires|samesite=none|partitioned/i);
  });

  it.each([
    [59.9, "Max-Age=59"],
    [0, "Max-Age=0"],
    [-5, "Max-Age=0"],
  ])("gives a lifetime of %s s as %s", (seconds, expected) => {
    expect(sessionSetCookie(HOST_ONLY, TOKEN, seconds)).toContain(`; ${expected};`);
  });

  it("keeps a token's characters as they are", () => {
    expect(sessionSetCookie(HOST_ONLY, TOKEN, 60).startsWith(`${NAME}=${TOKEN};`)).toBe(true);
  });
});

describe("clearedSessionSetCookie", () => {
  it("clears the cookie with the same attributes, an empty value and Max-Age=0", () => {
    expect(clearedSessionSetCookie(HOST_ONLY)).toBe(`${NAME}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax`);
  });
});
