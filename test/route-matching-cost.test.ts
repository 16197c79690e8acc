/**
 * R4: matching a request against the rules costs bounded CPU whatever the path. The rules match
 * in time linear in the path (policy/linear-matcher.ts) and mean what URLPattern with the format
 * tail meant, which the first property checks against URLPattern itself.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalizePath, MAX_PATH_LENGTH } from "../src/http/canonical-path";
import { compileRulePattern } from "../src/policy/routes";

/** Every rule shape docs/ and README show, and the parts URLPattern can build them from. */
const SHAPES = [
  "/users/:id",
  "/files/:name.:ext",
  "/api/*",
  "/admin{/*}?",
  "/admin",
  "/api/reports/:id",
  "/static/*",
  "/users/:id/avatar",
  "/:name{.json}?",
  "/x/:a?",
  "/x/:a+",
  "/x/:a*",
  "/a*b",
  "/v{/:version}?/docs",
  "/{:lang/}?home",
  "/files/:name.:ext/raw",
  "/:a-:b",
  "/report-:id.pdf",
  "/n/:n(.*)",
  "/r/(.*)",
  "/Admin",
  // a regular expression of its own keeps URLPattern's engine, without the tail's backtracking
  "/d/:id(\\d+)",
  "/f/:name([a-z.]+).:ext",
];

/** URLPattern with the tail appended to the pattern, as X-04's rules were compiled before R4. */
function urlPatternWithTail(path: string, caseInsensitive: boolean): (candidate: string) => boolean {
  const tolerant = path.endsWith("/") || path.endsWith("*") ? path : `${path}{.:gatewayFormatSuffix}?{.}?{/}?`;
  const pattern = new URLPattern({ pathname: tolerant }, { ignoreCase: caseInsensitive });
  return (candidate) => pattern.test({ pathname: candidate });
}

const PIECES = ["/", ".", "..", "a", "b", "A", "-", "x", "7", "json", "%C3%A9"];

/** Paths built from the shape's own fixed text and a few others, canonical as a rule sees them. */
function pathsAround(shape: string): fc.Arbitrary<string> {
  const fixed = shape.split(/:\w+|\([^)]*\)|[*{}?+]/).filter((text) => text !== "");
  const pieces = [...new Set([...PIECES, ...fixed, ...fixed.flatMap((text) => text.split(/(?=[/.])/))])];
  return fc
    .array(fc.constantFrom(...pieces), { maxLength: 8 })
    .map((chosen) => canonicalizePath(`/${chosen.join("")}`.replace(/\/\/+/g, "/")))
    .filter((canonical) => canonical.ok)
    .map((canonical) => (canonical.ok ? canonical.path : ""));
}

describe("rule matching (R4)", () => {
  it.each(SHAPES.flatMap((shape) => [[shape, false] as const, [shape, true] as const]))("matches %s as URLPattern with the format tail does (ignoring case: %s)", (shape, caseInsensitive) => {
    const linear = compileRulePattern(shape, caseInsensitive);
    const reference = urlPatternWithTail(shape, caseInsensitive);
    const seen = new Set<boolean>();
    fc.assert(
      fc.property(pathsAround(shape), (path) => {
        seen.add(reference(path));
        expect(linear(path), path).toBe(reference(path));
      }),
      { numRuns: 2000 },
    );
    // Both answers came up, so the paths exercised the rule rather than missing it throughout.
    expect(seen).toEqual(new Set([true, false]));
  });
});
