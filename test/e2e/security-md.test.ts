/**
 * SECURITY.md stays true to the tests: every checklist ID has its row, in the checklist's order,
 * and every test it names (`file` › "name") exists under that name.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const SECURITY_MD = readFileSync(join(ROOT, "SECURITY.md"), "utf8");

/** The checklist's IDs in order, with the two its numbering skips (T-07, I-04), then the two attack reviews', then machine credentials'. */
const IDS = [
  ...["C-01", "C-02", "C-03", "C-04", "C-05", "C-06", "C-07"],
  ...["LT-01", "LT-02", "LT-03"],
  ...["T-01", "T-02", "T-03", "T-04", "T-05", "T-06", "T-07", "T-08"],
  ...["F-01", "F-02", "F-03", "F-04", "F-05"],
  ...["I-01", "I-02", "I-03", "I-04", "I-05", "I-06"],
  ...["R-01", "R-02", "R-03", "R-04", "R-05", "R-06", "R-07", "R-08"],
  ...["L-01", "L-02", "L-03", "L-04", "L-05", "L-06", "L-07", "L-08", "L-09"],
  ...["A-01", "A-02", "A-03", "A-04"],
  ...["D-01", "D-02", "D-03", "D-04", "D-05"],
  ...["X-01", "X-02", "X-03", "X-04", "X-05", "X-06", "X-07", "X-08", "X-09", "X-10", "X-11", "X-12", "X-13"],
  ...["R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11", "R12", "R13"],
  ...["M-01", "M-02", "M-03", "M-04", "M-05", "M-06", "M-07", "M-08", "M-09"],
];

const rows = SECURITY_MD.split("\n")
  .filter((line) => /^\| (?:[A-Z]+-\d{2}|R\d{1,2}) \|/.test(line))
  .map((line) => line.split(" | ").map((cell) => cell.replace(/^\| |\s\|$/g, "").trim()));

describe("SECURITY.md", () => {
  it("has one row per checklist ID, in the checklist's order, none of them empty", () => {
    expect(IDS).toHaveLength(90);
    expect(rows.map(([id]) => id)).toEqual(IDS);
    for (const [id, requirement, proof] of rows) {
      expect(requirement, id).toBeTruthy();
      expect(proof, id).toBeTruthy();
    }
  });

  it("names only tests that exist, by their names", () => {
    const references = [...SECURITY_MD.matchAll(/`(test\/[\w./-]+\.test\.ts)` › "([^"]+)"/g)];
    expect(references.some(([, file]) => file === "test/differential/differential.test.ts")).toBe(true);
    expect(references.length).toBeGreaterThan(50);
    for (const [, file, name] of references) {
      const path = join(ROOT, file!);
      expect(existsSync(path), file).toBe(true);
      expect(namedInCode(readFileSync(path, "utf8"), name!), `${file} › "${name}"`).toBe(true);
    }
  });

  it("does not take a name that appears only in a comment for a test", () => {
    const source = ['// it("refuses a forged cookie")', "/*", ' * it("ends the session")', " */", 'it("answers 401", () => {}); // "and logs it"', "const url = \"https://example.com/path\";", 'const rules = ["/admin/*", "an admin route"]; // */'].join("\n");
    expect(namedInCode(source, "refuses a forged cookie")).toBe(false);
    expect(namedInCode(source, "ends the session")).toBe(false);
    expect(namedInCode(source, "and logs it")).toBe(false);
    expect(namedInCode(source, "answers 401")).toBe(true);
    expect(namedInCode(source, "https://example.com/path")).toBe(true);
    expect(namedInCode(source, "an admin route")).toBe(true);
  });
});

/**
 * Whether `name` is in the code of a test file: its comments (block comments that start a line,
 * and line comments after white space or at the start of a line — not the `//` of a URL nor the
 * `/*` of a route pattern in a string) are left out,
 * so a test that was deleted but still named in a comment is reported.
 */
function namedInCode(source: string, name: string): boolean {
  // A block comment starts a line: a `/*` inside a string is a route pattern (`"/admin/*"`).
  const code = source.replace(/^\s*\/\*[\s\S]*?\*\//gm, "").replace(/(^|\s)\/\/.*$/gm, "$1");
  return code.includes(name);
}
