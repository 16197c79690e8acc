/**
 * Host patterns: which hostnames a rule, a login setting or the shared session applies to.
 * URLPattern hostname syntax (`admin.example.com`, `*.example.com`), matched against the
 * request URL's hostname, which the URL parser has already lower-cased and IDNA-encoded; a
 * pattern is lower-cased once when it is compiled, so `Admin.Example.com` means the same.
 * `*` matches any characters, dots included: `*.example.com` admits every subdomain at any
 * depth, never `example.com` itself.
 */

export interface HostPattern {
  /** The pattern as the operator wrote it (lower-cased). */
  readonly source: string;
  /** Whether a hostname (no port) matches. */
  test(hostname: string): boolean;
}

// Letters, digits, `-`, `.` and `*`: a hostname, or one with wildcards. No port, path,
// scheme or whitespace; URLPattern would read `:` as a named group.
const HOST_PATTERN = /^[a-z0-9*](?:[a-z0-9*.-]{0,251}[a-z0-9*])?$/;

/** Throws a TypeError naming the rule when the pattern is not a hostname pattern. */
export function compileHostPattern(source: string): HostPattern {
  const lower = source.toLowerCase();
  if (!HOST_PATTERN.test(lower) || lower.includes("..") || lower.includes("**")) {
    throw new TypeError('must be a hostname or a pattern such as "*.example.com": letters, digits, "-", "." and "*", with no scheme, port or path');
  }
  if (!lower.includes("*")) return { source: lower, test: (hostname) => hostname === lower };
  const pattern = new URLPattern({ hostname: lower });
  return { source: lower, test: (hostname) => pattern.test({ hostname }) };
}

/** The key that stands for "every other host" in a setting given per host. */
export const ANY_HOST = "*";

/**
 * A setting given per host (`{ "admin.example.com": "/signin", "*": "/login" }`), compiled
 * in written order: the first pattern that matches decides, and `"*"` (required, so that no
 * host is left without a value) takes the rest.
 */
export interface PerHost<T> {
  valueFor(hostname: string): T;
  /** The values, for checks that apply to each. */
  readonly values: readonly T[];
}

export function perHost<T>(entries: readonly (readonly [string, T])[]): PerHost<T> {
  const compiled = entries.filter(([pattern]) => pattern !== ANY_HOST).map(([pattern, value]) => ({ pattern: compileHostPattern(pattern), value }));
  const fallback = entries.find(([pattern]) => pattern === ANY_HOST);
  if (!fallback) throw new TypeError(`must have a "${ANY_HOST}" entry for every other host`);
  return {
    valueFor(hostname) {
      return compiled.find(({ pattern }) => pattern.test(hostname))?.value ?? fallback[1];
    },
    values: entries.map(([, value]) => value),
  };
}

/** The same value for every host: the plain form of a per-host setting. */
export function everyHost<T>(value: T): PerHost<T> {
  return { valueFor: () => value, values: [value] };
}
