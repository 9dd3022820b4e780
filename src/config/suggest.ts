/**
 * "Did you mean" support: optimal-string-alignment edit distance (insertions,
 * deletions, substitutions and adjacent transpositions), case-insensitive,
 * with '-' and '_' treated as the same character.
 */

function normalise(s: string): string {
  return s.toLowerCase().replaceAll('-', '_');
}

export function editDistance(a: string, b: string): number {
  const x = normalise(a);
  const y = normalise(b);
  const rows = x.length + 1;
  const cols = y.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return at(rows - 1, cols - 1);
}

/**
 * The closest candidate to `word`, or null when nothing is close enough.
 * Close enough: distance at most a third of the longer word (minimum 1), or
 * the word is a prefix of the candidate of at least 4 characters (advert_int).
 */
export function closestMatch(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  const w = normalise(word);
  for (const candidate of candidates) {
    const c = normalise(candidate);
    const distance = editDistance(w, c);
    const limit = Math.max(1, Math.floor(Math.max(w.length, c.length) / 3));
    const prefix = w.length >= 4 && c.startsWith(w);
    const score = prefix ? Math.min(distance, limit) : distance;
    const wholeWord = distance >= Math.max(w.length, c.length);
    if ((distance <= limit || prefix) && !wholeWord && score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
