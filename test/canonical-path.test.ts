import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalizePath, MAX_PATH_LENGTH, MAX_PATH_SEGMENTS } from "../src/http/canonical-path";

// [input, canonical path]
const accepted: [string, string][] = [
  ["/", "/"],
  ["/a", "/a"],
  ["/a/b", "/a/b"],
  // Dot segments (RFC 3986 §5.2.4)
  ["/a/./b", "/a/b"],
  ["/a/../b", "/b"],
  ["/../a", "/a"],
  ["/../../a", "/a"],
  ["/..", "/"],
  ["/.", "/"],
  ["/./", "/"],
  ["/a/..", "/"],
  ["/a/.", "/a/"],
  ["/a/b/..", "/a/"],
  ["/a/b/../../c", "/c"],
  ["/public/../admin", "/admin"],
  ["/admin/.", "/admin/"],
  ["/a/../", "/"],
  // `%2e` is read as `.`, so encoded dot segments are resolved too
  ["/a/%2e/b", "/a/b"],
  ["/a/%2E/b", "/a/b"],
  ["/a/%2e%2e/b", "/b"],
  ["/a/%2E%2E/b", "/b"],
  ["/a/.%2e/b", "/b"],
  ["/a/%2e./b", "/b"],
  ["/public/%2e%2e/admin", "/admin"],
  ["/a/%2e%2e", "/"],
  // Escapes of unreserved characters are decoded
  ["/%61dmin", "/admin"],
  ["/%41dmin", "/Admin"],
  ["/a%2db%5fc%7ed", "/a-b_c~d"],
  ["/admin%2e", "/admin."],
  ["/%30%39", "/09"],
  // Other escapes are kept, with upper-case hex
  ["/a%20b", "/a%20b"],
  ["/caf%c3%a9", "/caf%C3%A9"],
  ["/%3f", "/%3F"],
  ["/%23", "/%23"],
  ["/%3d%26", "/%3D%26"],
  ["/a%25", "/a%25"],
  ["/a%25zz", "/a%25zz"],
  ["/%C3%A9t%C3%A9", "/%C3%A9t%C3%A9"],
  ["/stra%C3%9Fe", "/stra%C3%9Fe"],
  // Trailing slash kept
  ["/a/", "/a/"],
  ["/admin/", "/admin/"],
  ["/a/b/", "/a/b/"],
  // Characters a WHATWG URL leaves raw in a path
  ["/a:b@c!$&'()*+,=", "/a:b@c!$&'()*+,="],
  ["/a.b", "/a.b"],
  ["/...", "/..."],
  ["/a/.../b", "/a/.../b"],
];

// [input, why it is refused]
const refused: [string, string][] = [
  ["/%c0", "a lone lead byte: not UTF-8"],
  ["/admin/%c0", "a truncated UTF-8 sequence"],
  ["/%C0%80", "overlong NUL"],
  ["/admin/%c0%af", "overlong slash"],
  ["/caf%e9", "Latin-1, not UTF-8"],
  ["/%ED%A0%80", "an encoded surrogate"],
  ["/admin%2fx", "encoded slash"],
  ["/admin%2Fx", "encoded slash (upper case)"],
  ["/public%2F..%2Fadmin", "encoded slashes around a dot segment"],
  ["/admin%5cx", "encoded backslash"],
  ["/admin%5Cx", "encoded backslash (upper case)"],
  ["/admin\\x", "raw backslash"],
  ["/public/..\\admin", "raw backslash after a dot segment"],
  ["//", "empty segment"],
  ["//admin", "leading //"],
  ["/a//b", "// inside"],
  ["/a///", "/// at the end"],
  ["/a/.//b", "// after a dot segment"],
  ["/a/%2e//b", "// after an encoded dot segment"],
  ["/admin;x=1", "semicolon"],
  ["/public/..;/admin", "semicolon path parameter"],
  ["/public/..%3b/admin", "encoded semicolon"],
  ["/public/..%3B/admin", "encoded semicolon (upper case)"],
  ["/admin%00", "encoded NUL"],
  ["/admin%0a", "encoded LF"],
  ["/admin%0D", "encoded CR"],
  ["/admin%09", "encoded tab"],
  ["/admin%1f", "encoded unit separator"],
  ["/admin%7f", "encoded DEL"],
  ["/admin\u0000", "raw NUL"],
  ["/admin\n", "raw LF"],
  ["/admin\t", "raw tab"],
  ["/admin\u007f", "raw DEL"],
  ["/admin x", "raw space"],
  ["/admin/%", "lone %"],
  ["/admin/%4", "% with one hex digit"],
  ["/admin/%zz", "% with non-hex digits"],
  ["/admin/%g1", "% with a non-hex first digit"],
  ["/admin/%+1", "% with a sign"],
  ["/%2561dmin", "double escape of a letter"],
  ["/%252e%252e/admin", "double escape of a dot"],
  ["/a%252F", "double escape of a slash"],
  ["/a/%25%32%65%25%32%65/admin", "double escape whose hex digits are themselves escaped"],
  ["/a%25%36%31", "double escape built from escaped hex digits"],
  ["/café", "raw non-ASCII"],
  ["/\u00e9", "raw Latin-1"],
  ["/\u{1F600}", "raw astral character"],
  ["/a\u2028", "raw line separator"],
  // Characters origins drop or trim, in every mode
  ["/admin%20", "a space at the end of a segment (origins that trim run /admin)"],
  ["/%20admin", "a space at the start of a segment"],
  ["/admin%20/x", "a space at the end of an inner segment"],
  ["/admin%C2%A0", "a no-break space"],
  ["/adm%C2%A0in", "a no-break space inside a segment"],
  ["/admin%E2%80%8B", "a zero-width space (a format character)"],
  ["/adm%E2%80%AEin", "a bidi override"],
  ["/admin%C2%AD", "a soft hyphen"],
  ["/admin%EF%BB%BF", "a byte order mark"],
  ["/admin%E3%80%80", "an ideographic space"],
  ["", "empty"],
  ["a/b", "no leading slash"],
  ["*", "asterisk form"],
  [`/${"a".repeat(MAX_PATH_LENGTH)}`, "over-length"],
];

// With CASE_INSENSITIVE_PATHS: non-ASCII characters that case mapping or NFKC turns into
// ASCII, which Java's equalsIgnoreCase, toLowerCase or an NFKC-normalizing origin would read
// as an ASCII rule's letters. [input, what it folds to]
const foldsToAscii: [string, string][] = [
  ["/adm%C4%B1n", "dotless ı → I"],
  ["/adm%C4%B0n", "İ → i̇"],
  ["/%E2%84%AAeys", "Kelvin sign → k"],
  ["/%EF%BD%81dmin", "full-width ａ → a (NFKC)"],
  ["/%EF%BC%A1DMIN", "full-width Ａ → A (NFKC)"],
  ["/admin%C5%BF", "long ſ → S"],
  ["/stra%C3%9Fe", "ß → SS"],
  ["/%EF%AC%80", "ligature ﬀ → ff (NFKC)"],
  ["/%E2%85%A0", "Roman numeral Ⅰ → I (NFKC)"],
];

describe("canonicalizePath with caseInsensitive", () => {
  it.each(foldsToAscii)("refuses %j (%s)", (input) => {
    expect(canonicalizePath(input, { caseInsensitive: true }).ok).toBe(false);
  });

  it.each(["/adm%C4%B1n", "/%E2%84%AAeys", "/%EF%BD%81dmin"])("accepts %j when matching is case-sensitive", (input) => {
    expect(canonicalizePath(input).ok).toBe(true);
  });

  it.each(["/%C3%A9t%C3%A9", "/%C3%89T%C3%89", "/%D0%BC%D0%BE%D1%81%D0%BA%D0%B2%D0%B0", "/%E6%9D%B1%E4%BA%AC", "/Admin/x"])("accepts %j, whose letters fold to no ASCII", (input) => {
    expect(canonicalizePath(input, { caseInsensitive: true }).ok).toBe(true);
  });
});

describe("canonicalizePath", () => {
  it.each(accepted)("canonicalizes %j to %j", (input, expected) => {
    expect(canonicalizePath(input)).toEqual({ ok: true, path: expected });
  });

  it.each(refused)("refuses %j (%s)", (input) => {
    const result = canonicalizePath(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/\S/);
  });

  it.each(accepted)("is idempotent on %j", (input) => {
    const once = canonicalizePath(input);
    if (!once.ok) throw new Error(`${input} was refused`);
    expect(canonicalizePath(once.path)).toEqual(once);
  });

  it("is idempotent on generated paths built from the tricky pieces", () => {
    const piece = fc.constantFrom("/", ".", "..", "%", "%2e", "%2E", "%25", "%32", "%35", "%36", "%61", "%65", "%c0", "%3F", "2", "5", "e", "a", "A", "~", "-");
    const path = fc.array(piece, { maxLength: 12 }).map((pieces) => `/${pieces.join("")}`);
    fc.assert(
      fc.property(path, (input) => {
        const once = canonicalizePath(input);
        if (once.ok) expect(canonicalizePath(once.path)).toEqual(once);
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ["over the maximum length", `/${"a".repeat(MAX_PATH_LENGTH)}`],
    ["over the maximum length once WHATWG's escapes are written", `/${'"'.repeat(MAX_PATH_LENGTH / 2)}`],
    ["over the maximum number of segments", "/a".repeat(MAX_PATH_SEGMENTS + 1)],
    ["over the maximum number of segments, the last one empty", `${"/a".repeat(MAX_PATH_SEGMENTS)}/`],
  ])("refuses a path %s as too long (414)", (_name, path) => {
    expect(canonicalizePath(path)).toMatchObject({ ok: false, tooLong: true });
  });

  it("accepts a path of exactly the maximum number of segments", () => {
    const path = "/a".repeat(MAX_PATH_SEGMENTS);
    expect(canonicalizePath(path)).toEqual({ ok: true, path });
  });

  it("counts segments after dot segments are resolved", () => {
    const path = `${"/a/..".repeat(MAX_PATH_SEGMENTS)}/b`;
    expect(canonicalizePath(path)).toEqual({ ok: true, path: "/b" });
  });

  it("accepts a path of exactly the maximum length", () => {
    const path = `/${"a".repeat(MAX_PATH_LENGTH - 1)}`;
    expect(canonicalizePath(path)).toEqual({ ok: true, path });
  });

  it("never leaves a dot segment, an empty segment, an unreserved escape or lower-case hex", () => {
    for (const [input] of accepted) {
      const result = canonicalizePath(input);
      if (!result.ok) throw new Error(`${input} was refused`);
      const segments = result.path.split("/").slice(1);
      expect(segments.filter((segment) => segment === "." || segment === "..")).toEqual([]);
      expect(segments.slice(0, -1)).not.toContain("");
      for (const [, hex] of result.path.matchAll(/%(..)/g)) {
        expect(hex).toMatch(/^[0-9A-F]{2}$/);
        expect(String.fromCharCode(Number.parseInt(hex!, 16))).not.toMatch(/[A-Za-z0-9\-._~]/);
      }
    }
  });

  it("takes a pathname only: the query and fragment never reach it", () => {
    const url = new URL("https://gateway.test/public/x?next=/../admin#/../admin");
    expect(canonicalizePath(url.pathname)).toEqual({ ok: true, path: "/public/x" });
  });

  it("keeps an escaped ? or # escaped, so it never starts a query or fragment", () => {
    expect(canonicalizePath("/admin%3Fx=1")).toEqual({ ok: true, path: "/admin%3Fx=1" });
    expect(canonicalizePath("/admin%23x")).toEqual({ ok: true, path: "/admin%23x" });
  });
});
