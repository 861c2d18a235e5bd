/** What the shared approximate-index logic needs from a SQLite vector extension. */
export interface AnnBackend {
  readonly engine: 'sqlite-vss' | 'sqlite-vec';
  /** Most neighbours one `knn` call may return (sqlite-vec caps k). */
  readonly maxK: number;
  /**
   * Vectors to insert per transaction when `total` vectors are being added. sqlite-vss pulls two
   * ways: every commit re-serialises its whole Faiss index into one blob (124 → 430 ms per commit
   * at 100k×256), while inside one transaction each insert costs time proportional to the
   * inserts already pending (vss0 0.1.2 measured: 2,000 inserts of 256 dims 0.06–1 s, 8,000 up
   * to 20 s, 12,000 about 48 s). So neither one transaction nor small ones: see vss-backend.ts.
   */
  insertBatchVectors(total: number): number;
  create(): void;
  drop(): void;
  insert(rowids: readonly number[], vectors: Float32Array): void;
  remove(rowids: readonly number[]): void;
  /** Up to `k` rowids, nearest (highest inner product) first. Callers guarantee 1 ≤ k ≤ items. */
  knn(query: Float32Array, k: number): number[];
}

export const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Float32 values as the little-endian blob both extensions accept. */
export function vectorBlob(values: Float32Array, offset: number, length: number): Buffer {
  return Buffer.from(values.buffer, values.byteOffset + offset * 4, length * 4);
}
