/**
 * Every (name, value) that some framework could take from a multipart body: a superset found by
 * scanning rather than by one parser, because frameworks disagree on a part's name. Rack 2.2
 * (multipart/parser.rb) takes the last `; name=` of the Content-Disposition even inside another
 * quoted value (`name="x; name=_method"` is `_method` to Rack, `x; name=_method` to PHP and the
 * platform), undoes `\` escapes, and falls back to `Content-ID` when there is no name; PHP
 * (main/rfc1867.c) also takes single quotes. So each part is paired with what follows every
 * `name=` or `name*=` in its head, overlapping, and with its Content-ID, and parts are cut at
 * every `--boundary`, with or without a line end before it.
 *
 * Bounded work: a name is looked at through a window of NAME_WINDOW_CHARS characters after its
 * run of leading spaces, brackets and backslashes (all a spelling of `_method` needs), and a
 * part may hold at most MAX_NAMES_PER_PART of them, so the scan is linear in the body however
 * the names overlap.
 */

/** Characters of a name examined after its leading run: `_method` and escapes fit many times over. */
const NAME_WINDOW_CHARS = 64;

/** More `name=` in one part's head than this, and the body is not read (a form part has one or two). */
export const MAX_NAMES_PER_PART = 16;

/**
 * The fields of a multipart body under `boundary`, every plausible name of each part; null when
 * a part's head holds more than MAX_NAMES_PER_PART names (which one counts is then anyone's guess).
 */
export function multipartFieldsAnyFrameworkSees(text: string, boundary: string): [string, string][] | null {
  const fields: [string, string][] = [];
  // Before the first delimiter: the preamble. After every one, a part: even after what looks
  // like the close delimiter (`--b--` inside a value, without the CRLF before it, is not one to
  // the frameworks, which read on).
  const parts = text.split(`--${boundary}`).slice(1);
  for (const part of parts) {
    const headStart = part.indexOf("\n") + 1; // after transport padding and the line end
    const headEnd = /\r?\n\r?\n/g;
    headEnd.lastIndex = headStart;
    const end = headStart === 0 ? null : headEnd.exec(part);
    if (!end) continue;
    const head = part.slice(headStart, end.index);
    const value = part.slice(end.index + end[0].length).replace(/\r?\n$/, "");
    const names = namesIn(head);
    if (names === null) return null;
    for (const name of names) fields.push([name, value]);
  }
  return fields;
}

const ASSIGNMENT = /name(\*?)\s*=\s*/y;
const LEADING_RUN = /[ [\]\\]*/y;

/** What follows each `name=` and `name*=` (RFC 5987) in a part's head, overlapping, and each Content-ID. */
function namesIn(head: string): string[] | null {
  const names: string[] = [];
  const lower = head.toLowerCase();
  for (let at = lower.indexOf("name"); at >= 0; at = lower.indexOf("name", at + 1)) {
    ASSIGNMENT.lastIndex = at;
    const assignment = ASSIGNMENT.exec(lower);
    if (!assignment) continue;
    if (names.length === MAX_NAMES_PER_PART) return null;
    names.push(nameAt(head, at + assignment[0].length, assignment[1] === "*"));
  }
  for (const contentId of head.matchAll(/content-id:\s*([^\r\n]*)/gi)) names.push(contentId[1]!.slice(0, NAME_WINDOW_CHARS));
  return names;
}

/** A parameter value from `start`, its leading run dropped, looked at through the window. */
function nameAt(head: string, start: number, extended: boolean): string {
  const quote = head[start] === '"' || head[start] === "'" ? head[start] : null;
  LEADING_RUN.lastIndex = quote ? start + 1 : start;
  const from = LEADING_RUN.lastIndex + LEADING_RUN.exec(head)![0].length;
  const window = head.slice(from, from + NAME_WINDOW_CHARS);
  let name: string;
  if (quote === '"') name = /^(?:\\.|[^"\\])*/.exec(window)![0].replace(/\\(.)/g, "$1");
  else if (quote === "'") name = /^[^']*/.exec(window)![0];
  else name = /^[^;,\s"]*/.exec(window)![0];
  return extended ? extendedValue(name) : name;
}

/** `UTF-8''%5Fmethod` → `_method` (a malformed escape is kept as it is). */
function extendedValue(raw: string): string {
  const encoded = raw.split("'").slice(2).join("'") || raw;
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}
