/**
 * "Did you mean …?" for a misspelled setting or rule key: the closest known name by edit
 * distance (Damerau–Levenshtein, optimal string alignment: a swapped pair of letters counts
 * as one edit), compared without case, when it is close enough to be a typo rather than
 * another word.
 */

/** At most this many edits, and at most a third of the name's length. */
const MAX_EDITS = 3;

export function closestName(name: string, candidates: readonly string[]): string | null {
  const wanted = name.toUpperCase();
  const limit = Math.min(MAX_EDITS, Math.max(1, Math.floor(wanted.length / 3)));
  let best: { name: string; edits: number } | null = null;
  for (const candidate of candidates) {
    const edits = editDistance(wanted, candidate.toUpperCase());
    if (edits <= limit && (!best || edits < best.edits)) best = { name: candidate, edits };
  }
  return best?.name ?? null;
}

function editDistance(a: string, b: string): number {
  // rows[i][j]: edits between a's first i characters and b's first j.
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let edits = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) edits = Math.min(edits, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = edits;
    }
  }
  return rows[a.length]![b.length]!;
}
