/** What the shared approximate-index logic needs from a SQLite vector extension. */
export interface AnnBackend {
  readonly engine: 'sqlite-vss' | 'sqlite-vec';
  /** Most neighbours one `knn` call may return (sqlite-vec caps k). */
  readonly maxK: number;
  /**
   * Whether a sync must apply all its changes in one transaction. sqlite-vss serialises its whole
   * Faiss index into one blob on every commit (124 → 430 ms per commit at 100k×256), so batching
   * commits would make a large sync quadratic.
   */
  readonly singleTransaction: boolean;
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
