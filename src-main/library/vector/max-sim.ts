/**
 * The one scoring rule every engine ends with: a photo's score for a text query is the maximum,
 * over its Q query vectors, of the dot product (BLIP-2 ITC). All engines call `maxSim` on the
 * same decoded fp16 values, so their scores for a photo are bit-identical.
 */

export interface SearchHit {
  photoId: number;
  score: number;
}

/** Dot product of `query` with the row of `matrix` starting at `offset` (unrolled by 4). */
export function dotAt(matrix: Float32Array, offset: number, query: Float32Array): number {
  const n = query.length;
  const tail = n & ~3;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i < tail; i += 4) {
    s0 += matrix[offset + i]! * query[i]!;
    s1 += matrix[offset + i + 1]! * query[i + 1]!;
    s2 += matrix[offset + i + 2]! * query[i + 2]!;
    s3 += matrix[offset + i + 3]! * query[i + 3]!;
  }
  for (; i < n; i++) s0 += matrix[offset + i]! * query[i]!;
  return s0 + s1 + (s2 + s3);
}

/** max over `rows` consecutive rows (each `query.length` wide) starting at `offset`. */
export function maxSim(
  matrix: Float32Array,
  offset: number,
  rows: number,
  query: Float32Array,
): number {
  const cols = query.length;
  let best = -Infinity;
  for (let r = 0; r < rows; r++) {
    const score = dotAt(matrix, offset + r * cols, query);
    if (score > best) best = score;
  }
  return best;
}

/**
 * `maxSim` straight from fp16 words (decoded through `table`), for rescoring candidates without
 * a separate decode pass. Same products in the same order as `maxSim` on the decoded matrix, so
 * the score is bit-identical to the exact engine's.
 */
export function maxSimHalf(
  words: Uint16Array,
  rows: number,
  query: Float32Array,
  table: Float32Array,
): number {
  const n = query.length;
  const tail = n & ~3;
  let best = -Infinity;
  for (let r = 0; r < rows; r++) {
    const offset = r * n;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let i = 0;
    for (; i < tail; i += 4) {
      s0 += table[words[offset + i]!]! * query[i]!;
      s1 += table[words[offset + i + 1]!]! * query[i + 1]!;
      s2 += table[words[offset + i + 2]!]! * query[i + 2]!;
      s3 += table[words[offset + i + 3]!]! * query[i + 3]!;
    }
    for (; i < n; i++) s0 += table[words[offset + i]!]! * query[i]!;
    const score = s0 + s1 + (s2 + s3);
    if (score > best) best = score;
  }
  return best;
}

/**
 * Mean of a photo's query vectors, renormalised: the single vector the approximate engines index
 * per photo ("pooled" strategy). Written into `out` at `outOffset`.
 */
export function pooledVector(
  vectors: Float32Array,
  rows: number,
  cols: number,
  out: Float32Array,
  outOffset = 0,
): void {
  for (let c = 0; c < cols; c++) out[outOffset + c] = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[outOffset + c]! += vectors[base + c]!;
  }
  let norm = 0;
  for (let c = 0; c < cols; c++) norm += out[outOffset + c]! * out[outOffset + c]!;
  // A zero mean (opposite vectors) stays zero rather than becoming NaN: it ranks last, harmlessly.
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let c = 0; c < cols; c++) out[outOffset + c]! *= scale;
}

/** Ranks best first; ties go to the smaller photo id so every engine orders them the same way. */
export function compareHits(a: SearchHit, b: SearchHit): number {
  return b.score - a.score || a.photoId - b.photoId;
}

/** Keeps the best k hits seen so far in a binary min-heap (worst kept hit at the root). */
export class TopK {
  private readonly ids: number[] = [];
  private readonly scores: number[] = [];

  constructor(private readonly k: number) {}

  get size(): number {
    return this.ids.length;
  }

  /** Score a new hit must beat to enter (−Infinity until the heap is full). */
  get threshold(): number {
    return this.ids.length < this.k ? -Infinity : this.scores[0]!;
  }

  offer(photoId: number, score: number): void {
    if (this.ids.length < this.k) {
      this.ids.push(photoId);
      this.scores.push(score);
      this.siftUp(this.ids.length - 1);
      return;
    }
    if (!this.worse(0, photoId, score)) return;
    this.ids[0] = photoId;
    this.scores[0] = score;
    this.siftDown(0);
  }

  results(): SearchHit[] {
    return this.ids.map((photoId, i) => ({ photoId, score: this.scores[i]! })).sort(compareHits);
  }

  /** Whether the kept hit at `i` ranks below (photoId, score). */
  private worse(i: number, photoId: number, score: number): boolean {
    const s = this.scores[i]!;
    return s < score || (s === score && this.ids[i]! > photoId);
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(i, this.ids[parent]!, this.scores[parent]!)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.ids.length;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let worst = i;
      if (left < n && this.worse(left, this.ids[worst]!, this.scores[worst]!)) worst = left;
      if (right < n && this.worse(right, this.ids[worst]!, this.scores[worst]!)) worst = right;
      if (worst === i) return;
      this.swap(i, worst);
      i = worst;
    }
  }

  private swap(a: number, b: number): void {
    [this.ids[a], this.ids[b]] = [this.ids[b]!, this.ids[a]!];
    [this.scores[a], this.scores[b]] = [this.scores[b]!, this.scores[a]!];
  }
}
