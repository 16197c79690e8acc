/**
 * Canonicalizes a request path before any decision is made on it, so that the path that is
 * authorized is byte for byte the path that is forwarded (SECURITY.md R-01..R-06).
 *
 * - Percent-encoded unreserved characters are decoded (`%61` → `a`, `%2e` → `.`; RFC 3986
 *   §6.2.2.2); every other escape is kept, with upper-case hex.
 * - Dot segments are then resolved (RFC 3986 §5.2.4).
 * - Anything an origin could read differently from the gateway is refused: an encoded slash or
 *   backslash (`%2f`, `%5c`), a raw backslash, an empty segment (`//`), a semicolon raw or
 *   encoded (servlet path parameters: `/..;/admin`), a double escape (`%25` + two hex digits,
 *   read as a second escape by origins that decode twice), a malformed escape, escapes that
 *   are not UTF-8 (overlong `%C0%AF`), control bytes
 *   raw or encoded, and non-ASCII bytes (a WHATWG URL never carries them raw).
 * - Characters that origins drop or fold are refused too: Unicode whitespace other than
 *   the space and format characters (zero-width space, bidi controls, soft hyphen) anywhere,
 *   and whitespace at either end of a segment (`/admin%20`, `/admin%C2%A0`: origins that trim
 *   would run `/admin`). With `caseInsensitive` (CASE_INSENSITIVE_PATHS), a non-ASCII character
 *   that case mapping or NFKC turns into ASCII is refused: Java's `equalsIgnoreCase` reads the
 *   dotless `ı` as `i` and the Kelvin sign as `k`, NFKC reads the full-width `ａ` as `a`, so
 *   `/adm%C4%B1n` would reach an `/admin` handler past an ASCII-only rule.
 * - A path over MAX_PATH_LENGTH or MAX_PATH_SEGMENTS is refused as too long (`tooLong`: 414),
 *   before any rule is tried (SECURITY.md R4): the raw path's length before any work on it, the
 *   canonical path's length and segments after.
 */

export type CanonicalPath = { ok: true; path: string } | { ok: false; reason: string; tooLong?: true };

/**
 * Characters, raw and canonical. Apps route far shorter paths; nginx refuses a request line over
 * 8 KiB by default and Cloudflare a URL over 16 KiB, so the origin behind would often refuse such
 * a path anyway. With the linear matcher (policy/linear-matcher.ts) a path this long costs well
 * under a millisecond against a rule.
 */
export const MAX_PATH_LENGTH = 4096;
/**
 * Segments of the canonical path. Real apps nest a few levels, file browsers a few dozen; 128
 * leaves room for both and bounds what any per-segment work, and a rule with a regular expression
 * of its own (matched by the runtime's backtracking engine), can cost.
 */
export const MAX_PATH_SEGMENTS = 128;

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;
const WHATWG_ENCODED = '"<>`{}^';

export interface CanonicalizeOptions {
  /** CASE_INSENSITIVE_PATHS: also refuse characters that fold to ASCII. Default false. */
  readonly caseInsensitive?: boolean;
}

export function canonicalizePath(pathname: string, options: CanonicalizeOptions = {}): CanonicalPath {
  if (!pathname.startsWith("/")) return refuse("path does not start with /");
  if (pathname.length > MAX_PATH_LENGTH) return tooLong(`path over ${MAX_PATH_LENGTH} characters`);

  const decoded = decodeUnreserved(pathname);
  if (!decoded.ok) return decoded;
  if (!escapesAreUtf8(decoded.path)) return refuse("escape that is not UTF-8 (overlong or truncated)");

  const segments = decoded.path.split("/").slice(1);
  if (segments.slice(0, -1).includes("")) return refuse("empty path segment (//)");
  const path = resolveDotSegments(segments);
  const folding = foldingProblem(path, options.caseInsensitive ?? false);
  if (folding) return refuse(folding);
  // WHATWG's escapes can lengthen a path that was short enough raw: `"` becomes `%22`.
  if (path.length > MAX_PATH_LENGTH) return tooLong(`canonical path over ${MAX_PATH_LENGTH} characters`);
  if (segmentCount(path) > MAX_PATH_SEGMENTS) return tooLong(`path over ${MAX_PATH_SEGMENTS} segments`);
  return { ok: true, path };
}

function segmentCount(path: string): number {
  let count = 0;
  for (let i = path.indexOf("/"); i !== -1; i = path.indexOf("/", i + 1)) count++;
  return count;
}

const INVISIBLE = /[\p{Cf}\p{White_Space}]/u;
const EDGE_WHITESPACE = /(?:^|\/)\p{White_Space}|\p{White_Space}(?:\/|$)/u;
const ASCII = /[\x00-\x7f]/;

/** Why origins could read this path as another one, or null. The path's escapes are UTF-8. */
function foldingProblem(path: string, caseInsensitive: boolean): string | null {
  if (!path.includes("%")) return null;
  const text = decodeURIComponent(path);
  if (EDGE_WHITESPACE.test(text)) return "whitespace at the start or end of a segment";
  for (const char of text) {
    if (char === " " || char < "\x80") continue;
    if (INVISIBLE.test(char)) return `invisible character U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
    if (caseInsensitive && foldsToAscii(char)) return `character U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} folds to ASCII`;
  }
  return null;
}

/** Whether case mapping (either way, and round trip) or NFKC gives an ASCII character. */
function foldsToAscii(char: string): boolean {
  const nfkc = char.normalize("NFKC");
  const forms = [nfkc, char.toUpperCase(), char.toLowerCase(), char.toUpperCase().toLowerCase(), nfkc.toUpperCase(), nfkc.toLowerCase()];
  return forms.some((form) => ASCII.test(form));
}

function decodeUnreserved(pathname: string): CanonicalPath {
  let out = "";
  for (let i = 0; i < pathname.length; i++) {
    const char = pathname[i]!;
    const code = pathname.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return refuse("control byte or space");
    if (code > 0x7e) return refuse("raw non-ASCII byte");
    if (char === "\\") return refuse("backslash");
    if (char === ";") return refuse("semicolon");
    // A parsed URL never has these raw in its path: `?`/`#` would end it, the rest WHATWG
    // percent-encodes (the path percent-encode set), so they are encoded here the same way.
    if (char === "?" || char === "#") return refuse("raw ? or # in the path");
    if (WHATWG_ENCODED.includes(char)) {
      out += `%${code.toString(16).toUpperCase()}`;
      continue;
    }
    if (char !== "%") {
      out += char;
      continue;
    }
    const hex = pathname.slice(i + 1, i + 3);
    if (!HEX_PAIR.test(hex)) return refuse("malformed percent-encoding");
    const byte = Number.parseInt(hex, 16);
    if (byte < 0x20 || byte === 0x7f) return refuse("encoded control byte");
    if (byte === 0x2f || byte === 0x5c) return refuse("encoded slash or backslash");
    if (byte === 0x3b) return refuse("encoded semicolon");
    const decodedChar = String.fromCharCode(byte);
    out += UNRESERVED.test(decodedChar) ? decodedChar : `%${hex.toUpperCase()}`;
    i += 2;
  }
  // Checked on the output, so `%25%36%31` (which becomes `%2561`) is caught as well as `%2561`.
  if (/%25[0-9A-Fa-f]{2}/.test(out)) return refuse("double percent-encoding");
  return { ok: true, path: out };
}

/**
 * The path's bytes, escapes decoded, must be valid UTF-8 (WHATWG URL, RFC 3987). An overlong
 * form such as `%C0%AF` (`/`) is what decoders of old read as a separator, so any escape
 * sequence that is not strict UTF-8 is refused rather than forwarded for the origin to guess.
 */
function escapesAreUtf8(path: string): boolean {
  if (!path.includes("%")) return true;
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    if (path[i] === "%" && HEX_PAIR.test(path.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(path.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(path.charCodeAt(i));
    }
  }
  try {
    strictUtf8.decode(new Uint8Array(bytes));
    return true;
  } catch {
    return false;
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** RFC 3986 §5.2.4; `..` above the root stays at the root, as WHATWG URL does. */
function resolveDotSegments(segments: readonly string[]): string {
  const output: string[] = [];
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === "." || segment === "..") {
      if (segment === "..") output.pop();
      if (last) output.push("");
      return;
    }
    output.push(segment);
  });
  return `/${output.join("/")}`;
}

function refuse(reason: string): CanonicalPath {
  return { ok: false, reason };
}

function tooLong(reason: string): CanonicalPath {
  return { ok: false, reason, tooLong: true };
}
