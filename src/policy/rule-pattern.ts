/**
 * A rule's path (URLPattern pathname syntax) compiled into a test of canonical paths. URLPattern
 * validates the pattern and normalizes it; the match itself runs in time linear in the path
 * (policy/linear-matcher.ts), because URLPattern's backtracking regexp is polynomial in a run of
 * dots for `/users/:id` and worse for `/files/:name.:ext` once the format tail is added (R4).
 *
 * A rule path that does not end in `/` or `*` also matches the same path with one trailing slash
 * (`/admin` covers `/admin/`), because most origin routers treat the two alike, and with a format
 * suffix (`/admin` covers `/admin.json`, `/admin.`), because Rails routes every path as
 * `(.:format)` and Spring before 5.3 matched `.*` suffixes: a rule must not be side-stepped by a
 * slash or a dot. The tail is `(\.[^/]*)?/?`, what `{.:format}?{.}?{/}?` matches.
 */
import { compileLinearMatcher } from "./linear-matcher";
import { parsePatternParts } from "./pattern-parts";

/** Whether a canonical path (http/canonical-path.ts) matches. */
export type PathTest = (canonicalPath: string) => boolean;

/** Throws a TypeError for a pattern URLPattern refuses; config.ts reports it. */
export function compileRulePattern(path: string, caseInsensitive: boolean): PathTest {
  const formatTail = !(path.endsWith("/") || path.endsWith("*"));
  const pattern = new URLPattern({ pathname: path }, { ignoreCase: caseInsensitive });
  const parts = parsePatternParts(pattern.pathname);
  if (parts) return compileLinearMatcher(parts, { caseInsensitive, formatTail });
  return regexpGroupTest(pattern, formatTail);
}

/**
 * A rule with a regular expression of its own (`/files/:id(\\d+)`) keeps URLPattern's engine,
 * which the expression's author answers for; the tail is taken off by one scan of the last
 * segment, so the tail adds no backtracking of its own: the rule is tried once per candidate.
 */
function regexpGroupTest(pattern: URLPattern, formatTail: boolean): PathTest {
  if (!formatTail) return (path) => pattern.test({ pathname: path });
  return (path) => withoutTail(path).some((candidate) => pattern.test({ pathname: candidate }));
}

/** The path, and the path with each tail `(\.[^/]*)?/?` it ends with taken off. */
function withoutTail(path: string): string[] {
  const candidates = [path];
  const bare = path.endsWith("/") ? path.slice(0, -1) : path;
  if (bare !== path) candidates.push(bare);
  for (let i = bare.lastIndexOf("/") + 1; i < bare.length; i++) if (bare[i] === ".") candidates.push(bare.slice(0, i));
  return candidates;
}
