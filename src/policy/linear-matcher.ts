/**
 * Matches a path against a rule's pattern parts (policy/pattern-parts.ts) in time linear in the
 * path: a Thompson automaton run over the path once, holding the set of states it can be in
 * (Thompson, "Regular Expression Search Algorithm", CACM 1968), instead of the backtracking
 * regular expression URLPattern compiles. The language is the same as URLPattern's regexp for
 * those parts (URL Pattern Standard, "generate a regular expression and name list"); only the
 * cost differs: URLPattern's `[^/]+?` groups can split a run of dots in polynomially many ways
 * (4,000 dots against `/files/:name.:ext` with the format tail took 35 s of CPU; SECURITY.md R4).
 *
 * Work per path: at most (path length × states) steps, states being a few per pattern character.
 * Case-insensitive matching folds ASCII letters only: canonical paths are ASCII (anything else is
 * percent-encoded or refused, http/canonical-path.ts), and so is URLPattern's pattern string.
 */
import type { Modifier, PatternPart } from "./pattern-parts";

type CharTest = (char: string) => boolean;
type State = { kind: "char"; id: number; test: CharTest; next: State } | { kind: "split"; id: number; next: State; other: State } | { kind: "match"; id: number };

/** An expression over characters: what one part compiles to before it becomes states. */
type Expression =
  | { op: "text"; text: string }
  | { op: "class"; test: CharTest }
  | { op: "seq"; items: Expression[] }
  | { op: "optional" | "star" | "plus"; item: Expression };

export interface LinearMatcherOptions {
  readonly caseInsensitive: boolean;
  /**
   * Also match the path followed by the tolerated tail `(\.[^/]*)?/?` — a format suffix, a lone
   * dot, a trailing slash — exactly the language of URLPattern's `{.:format}?{.}?{/}?`.
   */
  readonly formatTail: boolean;
}

const notSlash: CharTest = (char) => char !== "/";
// The regexp's `.` skips line terminators; a canonical path holds none (control bytes and raw
// non-ASCII are refused), so every character it holds is one `.` matches.
const anyChar: CharTest = () => true;
const text = (value: string): Expression => ({ op: "text", text: value });
const optional = (item: Expression): Expression => ({ op: "optional", item });

/** The expression of a `{.:format}?{.}?{/}?` tail: `(\.[^/]*)?` then `/?`. */
const FORMAT_TAIL: Expression = {
  op: "seq",
  items: [optional({ op: "seq", items: [text("."), { op: "star", item: { op: "class", test: notSlash } }] }), optional(text("/"))],
};

export function compileLinearMatcher(parts: readonly PatternPart[], options: LinearMatcherOptions): (path: string) => boolean {
  const items = parts.map(partExpression);
  if (options.formatTail) items.push(FORMAT_TAIL);
  const start = buildStates({ op: "seq", items }, options.caseInsensitive);
  return (path) => runs(start.state, start.count, path);
}

/** The part's regexp as the Standard generates it, as an expression. */
function partExpression(part: PatternPart): Expression {
  if (part.kind === "fixed") return withModifier(text(part.text), part.modifier);
  const wildcard: Expression = part.kind === "segment" ? { op: "plus", item: { op: "class", test: notSlash } } : { op: "star", item: { op: "class", test: anyChar } };
  if (part.prefix === "" && part.suffix === "") return withModifier(wildcard, part.modifier);
  const [prefix, suffix] = [text(part.prefix), text(part.suffix)];
  if (part.modifier === "" || part.modifier === "?") return withModifier({ op: "seq", items: [prefix, wildcard, suffix] }, part.modifier);
  // (?:prefix((?:W)(?:suffix prefix (?:W))*)suffix)?  for `*`, without the final `?` for `+`
  const repeated: Expression = { op: "seq", items: [prefix, wildcard, { op: "star", item: { op: "seq", items: [suffix, prefix, wildcard] } }, suffix] };
  return part.modifier === "*" ? optional(repeated) : repeated;
}

function withModifier(item: Expression, modifier: Modifier): Expression {
  if (modifier === "") return item;
  return { op: modifier === "?" ? "optional" : modifier === "*" ? "star" : "plus", item };
}

/** Thompson's construction, building each expression in front of the state that follows it. */
function buildStates(expression: Expression, caseInsensitive: boolean): { state: State; count: number } {
  let count = 0;
  const fold = caseInsensitive ? foldAscii : (char: string) => char;
  const build = (node: Expression, next: State): State => {
    switch (node.op) {
      case "text":
        return [...node.text].reduceRight<State>((after, char) => {
          const expected = fold(char);
          return { kind: "char", id: count++, test: (actual) => fold(actual) === expected, next: after };
        }, next);
      case "class":
        return { kind: "char", id: count++, test: node.test, next };
      case "seq":
        return node.items.reduceRight<State>((after, item) => build(item, after), next);
      case "optional":
        return { kind: "split", id: count++, next: build(node.item, next), other: next };
      case "star": {
        const loop: State = { kind: "split", id: count++, next, other: next };
        loop.next = build(node.item, loop);
        return loop;
      }
      case "plus":
        return build(node.item, build({ op: "star", item: node.item }, next));
    }
  };
  const state = build(expression, { kind: "match", id: count++ });
  return { state, count };
}

/** One pass over the path, carrying every state the automaton can be in. */
function runs(start: State, stateCount: number, path: string): boolean {
  const seenIn = new Int32Array(stateCount).fill(-1);
  let current: State[] = [];
  let generation = 0;
  const add = (list: State[], state: State): void => {
    if (seenIn[state.id] === generation) return;
    seenIn[state.id] = generation;
    if (state.kind === "split") {
      add(list, state.next);
      add(list, state.other);
    } else list.push(state);
  };
  add(current, start);
  for (const char of path) {
    generation++;
    const next: State[] = [];
    for (const state of current) if (state.kind === "char" && state.test(char)) add(next, state.next);
    if (next.length === 0) return false;
    current = next;
  }
  return current.some((state) => state.kind === "match");
}

function foldAscii(char: string): string {
  return char >= "A" && char <= "Z" ? char.toLowerCase() : char;
}
