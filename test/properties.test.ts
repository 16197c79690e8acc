/**
 * Property-based tests of the pure, security-critical functions (issue 4, item 3). Every
 * property runs thousands of cases from a fixed seed, so a failure reproduces exactly: rerun
 * with the seed and path that fast-check prints.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalizePath } from "../src/http/canonical-path";
import { headerValue, isIdentityHeaderName, stripIdentityHeaders } from "../src/identity/headers";
import { safeReturnTo } from "../src/http/return-to";
import { importSessionKeys, mintToken, verifyToken } from "../src/session/token";

export const SEED = 20261126;
const RUNS = 5_000;
const options = (numRuns = RUNS) => ({ seed: SEED, numRuns });

// Characters that matter to paths and URLs, plus random printable text and escapes.
const pathPiece = fc.oneof(
  fc.constantFrom("/", "//", ".", "..", "%", "%2e", "%2E", "%2f", "%2F", "%5c", "%5C", "%25", "%3b", ";", "\\", "%00", "%20", "%61", "%c0", "?", "#", "~"),
  fc.string({ unit: fc.constantFrom(..."abcAZ09-_.~%:@!$&'()*+,=") , maxLength: 6 }),
  fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF"), minLength: 2, maxLength: 2 }).map((hex) => `%${hex}`),
);
const rawPath = fc.array(pathPiece, { maxLength: 14 }).map((pieces) => `/${pieces.join("")}`);

describe("token verification", () => {
  it("never throws and never accepts a mutation of a valid token", async () => {
    const keys = await importSessionKeys(["property-test-key-0123456789abcdef0123456789"]);
    const { token } = await mintToken(keys);
    const mutation = fc.oneof(
      // replace one character
      fc.tuple(fc.nat(token.length - 1), fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 })).map(([at, char]) => token.slice(0, at) + char + token.slice(at + 1)),
      // insert, delete, truncate, extend
      fc.tuple(fc.nat(token.length), fc.string({ minLength: 1, maxLength: 4 })).map(([at, text]) => token.slice(0, at) + text + token.slice(at)),
      fc.tuple(fc.nat(token.length - 1), fc.integer({ min: 1, max: 10 })).map(([at, n]) => token.slice(0, at) + token.slice(at + n)),
      // swap two parts, or splice parts of another token
      fc.constantFrom(...permutedParts(token)),
      // anything at all
      fc.string({ unit: "binary", maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (candidate) => {
        fc.pre(candidate !== token);
        expect(await verifyToken(keys, candidate)).toBeNull();
      }),
      options(),
    );
    expect(await verifyToken(keys, token)).not.toBeNull();
  });
});

function permutedParts(token: string): string[] {
  const [a, b, c] = token.split(".") as [string, string, string];
  return [`${b}.${a}.${c}`, `${a}.${a}.${c}`, `${a}.${b}.${a}`, `${c}.${b}.${a}`, `${a}.${b}`, `${a}..${c}`];
}

describe("path canonicalization", () => {
  it("is idempotent and never throws", () => {
    fc.assert(
      fc.property(rawPath, (path) => {
        const once = canonicalizePath(path);
        if (!once.ok) return;
        expect(canonicalizePath(once.path)).toEqual(once);
      }),
      options(20_000),
    );
  });

  it("yields a path that a WHATWG URL parser and a naive origin router read the same way", () => {
    fc.assert(
      fc.property(rawPath, (path) => {
        const result = canonicalizePath(path);
        if (!result.ok) return;
        // WHATWG (what a browser or a fetch-based origin sees) leaves it unchanged.
        expect(new URL(result.path, "http://origin.example").pathname).toBe(result.path);
        // A naive router: split on "/", percent-decode each segment once, byte by byte.
        const segments = result.path.split("/").slice(1).map(decodeBytes);
        for (const segment of segments) {
          expect(segment).not.toMatch(/[/\\;\0]/);
          expect([".", ".."]).not.toContain(segment);
        }
        // No empty segment but a trailing one, so `//` can't collapse differently.
        expect(segments.slice(0, -1)).not.toContain("");
        // Decoding twice changes nothing more: no escape hides another escape.
        expect(result.path).not.toMatch(/%25[0-9A-Fa-f]{2}/);
      }),
      options(20_000),
    );
  });

  it("refuses every path that hides a separator", () => {
    const hidden = fc.tuple(rawPath, fc.constantFrom("%2f", "%2F", "%5c", "%5C", "\\", "//", ";", "%3B", "%00"), rawPath).map(([a, sep, b]) => `${a}${sep}${b.slice(1)}`);
    fc.assert(
      fc.property(hidden, (path) => {
        expect(canonicalizePath(path).ok).toBe(false);
      }),
      options(),
    );
  });
});

function decodeBytes(segment: string): string {
  return segment.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

describe("identity header stripping", () => {
  const casing = (text: string) => fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length }).map((upper) => [...text].map((char, i) => (upper[i] ? char.toUpperCase() : char)).join(""));
  const separator = fc.constantFrom("-", "_");
  const identityName = fc
    .tuple(casing("x"), separator, fc.oneof(casing("auth"), casing("gateway")), separator, fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz-_"), minLength: 1, maxLength: 12 }))
    .map((parts) => parts.join(""));

  it("catches every case and _/- variant of x-auth-* and x-gateway-*", () => {
    fc.assert(
      fc.property(fc.array(identityName, { minLength: 1, maxLength: 6 }), fc.string({ unit: "grapheme-ascii", maxLength: 20 }), (names, value) => {
        const headers = new Headers({ accept: "text/html", "x-authority": "kept" });
        for (const name of names) headers.append(name, value.replace(/[\r\n\0]/g, ""));
        stripIdentityHeaders(headers);
        expect([...headers.keys()].filter((name) => isIdentityHeaderName(name))).toEqual([]);
        expect(headers.get("accept")).toBe("text/html");
        expect(headers.get("x-authority")).toBe("kept");
      }),
      options(),
    );
  });

  it("never produces a header value with control characters, and decodes back exactly", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 60 }), (value) => {
        const encoded = headerValue(value);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        expect(decodeURIComponent(encoded)).toBe(value);
      }),
      options(),
    );
  });
});

describe("return_to", () => {
  const tricky = fc.oneof(
    fc.string({ unit: "binary", maxLength: 60 }),
    fc.array(fc.constantFrom("/", "\\", "//", ".", "..", "%2f", "%2F", "%5c", "evil.com", ":", "https:", "javascript:", "\t", "\n", " ", "@", "?", "#", "%09", "%0a", "x"), { maxLength: 10 }).map((p) => p.join("")),
  );

  it("never yields an off-site URL", () => {
    const site = "https://site.example";
    fc.assert(
      fc.property(tricky, (value) => {
        const out = safeReturnTo(value);
        expect(out.startsWith("/")).toBe(true);
        expect(out.startsWith("//")).toBe(false);
        expect(out.startsWith("/\\")).toBe(false);
        expect(new URL(out, site).origin).toBe(site);
        // A browser resolves Location against the current URL; from a deep page too.
        expect(new URL(out, `${site}/a/b/c?q#f`).origin).toBe(site);
      }),
      options(20_000),
    );
  });
});
