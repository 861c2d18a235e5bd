/**
 * Indices of the `count` largest values, best first; on equal values the lower index ranks first.
 * A bounded insertion list: beam search ranks numBeams * vocabSize scores (~250k for OPT with 5
 * beams) but keeps only a handful, so sorting everything would waste most of the work.
 */
export function topIndices(values: ArrayLike<number>, count: number): number[] {
  const n = Math.min(count, values.length);
  const indices: number[] = [];
  const kept: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (kept.length === n && !(value > kept[n - 1]!)) continue;
    let at = kept.length;
    while (at > 0 && value > kept[at - 1]!) at--;
    kept.splice(at, 0, value);
    indices.splice(at, 0, i);
    if (kept.length > n) {
      kept.pop();
      indices.pop();
    }
  }
  return indices;
}
