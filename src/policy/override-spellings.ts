/**
 * How origin frameworks spell a `_method` override, as one superset: a parameter name that any
 * of them reads as `_method`, and the body parsers any of them runs for a Content-Type. Taken
 * from the sources Debian ships and checked against them by test/differential (R2):
 *
 * - PHP (Laravel, Symfony) registers a query or form field under a mangled name
 *   (main/php_variables.c): the name is percent-decoded first, leading spaces are dropped, it
 *   ends at a NUL, `.` and ` ` become `_`, and a `[` starts an array key (`_method[x]`) or,
 *   unclosed, becomes `_`. So `.method`, `%2Emethod`, `+_method` and `_method%00x` are `_method`.
 * - Rack's query parser (Rails) reads `[_method]`, `]_method` and `_method]]` as `_method`
 *   (normalize_params strips `[` and `]` around the key), and spaces after a `&`.
 * - ASP.NET Core's form collection ignores case (`_METHOD`).
 *
 * A name that reads as `_method` in any of them counts; reading too many as overrides only
 * makes a decision stricter, reading too few lets a POST run as DELETE.
 */

/** The name every framework's override parameter goes by once its spellings are undone. */
const CANONICAL_NAME = "_method";

const oneOf = (chars: string) => (char: string) => chars.includes(char);
const none = () => false;

/** Whether some framework reads a (percent-decoded) query or form field name as `_method`. */
export function readsAsOverrideName(name: string): boolean {
  let key = name.split("\0", 1)[0]!; // PHP: names are C strings
  key = stripEnds(key, oneOf(" []"), none); // PHP drops leading spaces; Rack strips `[` and `]`
  key = key.split("[", 1)[0]!; // PHP: `[` starts an array key (counted too: it costs nothing)
  key = stripEnds(key, none, oneOf("]")); // Rack: trailing `]`
  key = key.replace(/[ .]/g, "_"); // PHP
  return key.toLowerCase() === CANONICAL_NAME; // ASP.NET Core
}

/**
 * An override's value as a framework compares it: upper-cased, without white space or NULs
 * around it (Rack drops a NUL that ends the body: "Safari Ajax postings").
 */
export function overrideValue(value: string): string {
  const whiteSpaceOrNul = (char: string) => /[\s\0]/.test(char);
  return stripEnds(value, whiteSpaceOrNul, whiteSpaceOrNul).toUpperCase();
}

/**
 * `text` without the characters `leading` accepts at its start and `trailing` at its end. By
 * hand: a regex such as `/\]+$/` retries at every position of a long run, which is quadratic.
 */
function stripEnds(text: string, leading: (char: string) => boolean, trailing: (char: string) => boolean): string {
  let start = 0;
  let end = text.length;
  while (start < end && leading(text[start]!)) start++;
  while (end > start && trailing(text[end - 1]!)) end--;
  return text.slice(start, end);
}


/** A body parser some framework runs on a POST, found by its Content-Type. */
export type BodyParser = "urlencoded" | "multipart" | "json";

/**
 * Every parser that some framework runs on a POST body with this Content-Type (possibly none).
 *
 * - The form types are compared on what precedes the first `;`, `,` or white space, lower-cased:
 *   PHP's SAPI cuts at `;`, `,` and ` ` (so `application/x-www-form-urlencoded, text/plain` is a
 *   form), Rack at `;` and `,` then strips trailing white space. No Content-Type, or an empty
 *   one, is a form to Rack.
 * - Rack parses `multipart/related` and `multipart/mixed` as well as `multipart/form-data`.
 * - Laravel reads the body as JSON whenever the header merely contains `/json` or `+json`,
 *   anywhere (`text/plain; a=/json`, `application/x+json`), even beside a form type: compared
 *   here without case, which also covers Express's `APPLICATION/JSON`.
 */
export function bodyParsers(contentType: string | null): BodyParser[] {
  const parsers: BodyParser[] = [];
  const essence = formEssence(contentType);
  if (essence === "" || essence === "application/x-www-form-urlencoded") parsers.push("urlencoded");
  if (essence === "multipart/form-data" || essence === "multipart/related" || essence === "multipart/mixed") parsers.push("multipart");
  if (/[/+]json/i.test(contentType ?? "")) parsers.push("json");
  return parsers;
}

/** The media type as PHP and Rack compare it with the form types: up to `;`, `,` or white space. */
export function formEssence(contentType: string | null): string {
  return (contentType ?? "").split(/[;,\s]/, 1)[0]!.toLowerCase();
}

/** What RFC 2046 allows in a boundary, less the space (no browser sends one). */
const BOUNDARY = /^[0-9A-Za-z'()+_\-./:=?]{1,70}$/;

/**
 * The multipart boundary PHP and Rack both find in this Content-Type, or null when they differ
 * or it is not a plain boundary: PHP takes the first `boundary` (without case only if there is
 * none with it) up to `,` or `;`, Rack the last `boundary=` (`/\Amultipart\/.*boundary=.../`),
 * and Rack reads a multipart body without one as a urlencoded form.
 */
export function agreedBoundary(contentType: string): string | null {
  const php = phpBoundary(contentType);
  const rack = /^multipart\/.*boundary="?([^";,]+)"?/i.exec(contentType)?.[1] ?? null;
  return php !== null && php === rack && BOUNDARY.test(php) ? php : null;
}

/** main/rfc1867.c: the first `boundary`, then everything after the next `=`. */
function phpBoundary(contentType: string): string | null {
  let at = contentType.indexOf("boundary");
  if (at < 0) at = contentType.toLowerCase().indexOf("boundary");
  if (at < 0) return null;
  const equals = contentType.indexOf("=", at);
  if (equals < 0) return null;
  const rest = contentType.slice(equals + 1);
  if (rest.startsWith('"')) {
    const end = rest.indexOf('"', 1);
    return end < 0 ? null : rest.slice(1, end);
  }
  return rest.split(/[,;]/, 1)[0]!;
}
