/**
 * The parts of a URLPattern pathname, as the URL Pattern Standard parses them ("parse a pattern
 * string", https://urlpattern.spec.whatwg.org/#parse-a-pattern-string), so that a rule can be
 * matched by a linear-time automaton (policy/linear-matcher.ts) instead of the backtracking
 * regular expression URLPattern builds from the same parts.
 *
 * The input is the pattern string URLPattern itself gives back (`new URLPattern(...).pathname`):
 * already validated, its fixed text already percent-encoded and its dot segments resolved, so
 * no encoding happens here. A part with a regular expression of its own (`:id(\\d+)`) is not
 * supported: `parsePatternParts` returns null and the caller keeps URLPattern for that rule.
 */

export type Modifier = "" | "?" | "*" | "+";

/**
 * `fixed`: `text` as written; `segment`: `[^/]+?` (`:name`); `any`: `.*` (`*`). A wildcard may
 * carry a `prefix` and a `suffix` (`{.:format}`, the `/` of `/:id?`), inside its modifier.
 */
export type PatternPart =
  | { readonly kind: "fixed"; readonly text: string; readonly modifier: Modifier }
  | { readonly kind: "segment" | "any"; readonly prefix: string; readonly suffix: string; readonly modifier: Modifier };

type TokenType = "open" | "close" | "regexp" | "name" | "char" | "escaped-char" | "other-modifier" | "asterisk" | "end";
interface Token {
  readonly type: TokenType;
  readonly value: string;
}

/** The pathname's prefix code point: `/:id?` makes the `/` optional with the group. */
const PREFIX = "/";
const SEGMENT_REGEXP = "[^\\/]+?";
const FULL_WILDCARD_REGEXP = ".*";
const NAME_START = /[$_\p{ID_Start}]/u;
const NAME_PART = /[$\p{ID_Continue}\u200C\u200D]/u;

/** The parts of a pattern string that URLPattern accepted; null if a part is a custom regexp. */
export function parsePatternParts(patternString: string): PatternPart[] | null {
  const tokens = tokenize(patternString);
  if (!tokens) return null;
  const parts: PatternPart[] = [];
  let index = 0;
  let pending = "";
  const tryConsume = (type: TokenType): Token | null => (tokens[index]?.type === type ? tokens[index++]! : null);
  const tryConsumeRegexpOrWildcard = (name: Token | null): Token | null => tryConsume("regexp") ?? (name ? null : tryConsume("asterisk"));
  const tryConsumeModifier = (): Token | null => tryConsume("other-modifier") ?? tryConsume("asterisk");
  const consumeText = (): string => {
    let text = "";
    for (let token = tryConsume("char") ?? tryConsume("escaped-char"); token; token = tryConsume("char") ?? tryConsume("escaped-char")) text += token.value;
    return text;
  };
  const flushPending = (): void => {
    if (pending !== "") parts.push({ kind: "fixed", text: pending, modifier: "" });
    pending = "";
  };
  // "add a part": false when the part is a custom regular expression.
  const addPart = (prefix: string, name: Token | null, regexpOrWildcard: Token | null, suffix: string, modifierToken: Token | null): boolean => {
    const modifier = (modifierToken?.value ?? "") as Modifier;
    if (!name && !regexpOrWildcard && modifier === "") {
      pending += prefix;
      return true;
    }
    flushPending();
    if (!name && !regexpOrWildcard) {
      if (prefix !== "") parts.push({ kind: "fixed", text: prefix, modifier });
      return true;
    }
    const regexp = !regexpOrWildcard ? SEGMENT_REGEXP : regexpOrWildcard.type === "asterisk" ? FULL_WILDCARD_REGEXP : regexpOrWildcard.value;
    if (regexp !== SEGMENT_REGEXP && regexp !== FULL_WILDCARD_REGEXP) return false;
    parts.push({ kind: regexp === SEGMENT_REGEXP ? "segment" : "any", prefix, suffix, modifier });
    return true;
  };

  while (index < tokens.length) {
    const charToken = tryConsume("char");
    const name = tryConsume("name");
    const regexpOrWildcard = tryConsumeRegexpOrWildcard(name);
    if (name || regexpOrWildcard) {
      let prefix = charToken?.value ?? "";
      if (prefix !== "" && prefix !== PREFIX) {
        pending += prefix;
        prefix = "";
      }
      flushPending();
      if (!addPart(prefix, name, regexpOrWildcard, "", tryConsumeModifier())) return null;
      continue;
    }
    const fixed = charToken ?? tryConsume("escaped-char");
    if (fixed) {
      pending += fixed.value;
      continue;
    }
    if (tryConsume("open")) {
      const prefix = consumeText();
      const groupName = tryConsume("name");
      const groupRegexp = tryConsumeRegexpOrWildcard(groupName);
      const suffix = consumeText();
      if (!tryConsume("close")) return null;
      if (!addPart(prefix, groupName, groupRegexp, suffix, tryConsumeModifier())) return null;
      continue;
    }
    flushPending();
    if (!tryConsume("end")) return null;
  }
  return parts;
}

/** "tokenize" in lenient terms: URLPattern has already refused an invalid pattern. */
function tokenize(input: string): Token[] | null {
  const tokens: Token[] = [];
  const chars = [...input];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    if (char === "*") tokens.push({ type: "asterisk", value: char });
    else if (char === "+" || char === "?") tokens.push({ type: "other-modifier", value: char });
    else if (char === "{") tokens.push({ type: "open", value: char });
    else if (char === "}") tokens.push({ type: "close", value: char });
    else if (char === "\\") {
      const escaped = chars[++i];
      if (escaped === undefined) return null;
      tokens.push({ type: "escaped-char", value: escaped });
    } else if (char === ":") {
      let name = "";
      while (i + 1 < chars.length && (name === "" ? NAME_START : NAME_PART).test(chars[i + 1]!)) name += chars[++i];
      if (name === "") return null;
      tokens.push({ type: "name", value: name });
    } else if (char === "(") {
      const end = regexpEnd(chars, i);
      if (end === -1) return null;
      tokens.push({ type: "regexp", value: chars.slice(i + 1, end).join("") });
      i = end;
    } else tokens.push({ type: "char", value: char });
  }
  tokens.push({ type: "end", value: "" });
  return tokens;
}

/** The index of the `)` that closes the regexp group opened at `start`, or -1. */
function regexpEnd(chars: readonly string[], start: number): number {
  let depth = 1;
  for (let i = start + 1; i < chars.length; i++) {
    const char = chars[i]!;
    if (char === "\\") i++;
    else if (char === "(") depth++;
    else if (char === ")" && --depth === 0) return i;
  }
  return -1;
}
