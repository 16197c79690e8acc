import { describe, expect, it } from "vitest";
import { MAX_RETURN_TO_LENGTH, safeReturnTo } from "../src/http/return-to";

const SITE = "https://site.example";

/** Whatever comes out must stay on the site it is resolved against, as a browser would. */
function expectSameSite(out: string): void {
  expect(out.startsWith("/")).toBe(true);
  expect(new URL(out, SITE).origin).toBe(SITE);
}

describe("safeReturnTo", () => {
  it.each([
    ["/", "/"],
    ["/x", "/x"],
    ["/x?a=b#c", "/x?a=b#c"],
    ["/a/b/c?q=1&r=2", "/a/b/c?q=1&r=2"],
    ["/x?next=//evil.com", "/x?next=//evil.com"],
    ["/x#//evil.com", "/x#//evil.com"],
    ["/%09/evil", "/%09/evil"],
    ["/%2F%2Fevil.com", "/%2F%2Fevil.com"],
    ["/%5Cevil.com", "/%5Cevil.com"],
    ["/a/../b", "/b"],
    ["/caf%C3%A9", "/caf%C3%A9"],
  ])("keeps the same-site path %j as %j", (value, expected) => {
    const out = safeReturnTo(value);
    expect(out).toBe(expected);
    expectSameSite(out);
  });

  it.each([
    ["//evil.com"],
    ["///evil.com"],
    ["/\\evil.com"],
    ["\\/evil.com"],
    ["\\\\evil.com"],
    ["/\\/evil.com"],
    ["https://evil.com"],
    ["https:evil.com"],
    ["http:/evil.com"],
    ["HTTPS://evil.com"],
    ["%2F%2Fevil.com"],
    ["javascript:alert(1)"],
    ["data:text/html,<script>alert(1)</script>"],
    ["evil.com"],
    ["/\t/evil.com"],
    ["/\n/evil.com"],
    ["/\r/evil.com"],
    ["/ /evil.com"],
    ["\t//evil.com"],
    [" //evil.com"],
    ["/\u0000/evil.com"],
    ["/\u007f/evil.com"],
    // Dot segments that collapse to a `//` path
    ["/.//evil.com"],
    ["/..//evil.com"],
    ["/a/..//evil.com"],
    ["/../..//evil.com"],
    ["/%2e//evil.com"],
    ["/%2E%2E//evil.com"],
    ["/x/%2e%2e//evil.com"],
    [`/${"a".repeat(MAX_RETURN_TO_LENGTH)}`],
    [""],
    [null],
    [undefined],
  ])("turns %j into /", (value) => {
    const out = safeReturnTo(value);
    expect(out).toBe("/");
    expectSameSite(out);
  });

  it("keeps a path of exactly the maximum length", () => {
    const value = `/${"a".repeat(MAX_RETURN_TO_LENGTH - 1)}`;
    expect(safeReturnTo(value)).toBe(value);
  });

  it("never returns anything that leaves the site", () => {
    const pieces = ["/", "//", "\\", ".", "..", "%2e", "%2f", "evil.com", "?", "#", "@", ":", "https:", "\t"];
    const values = pieces.flatMap((a) => pieces.flatMap((b) => pieces.map((c) => `${a}${b}${c}`)));
    for (const value of values) expectSameSite(safeReturnTo(value));
  });
});
