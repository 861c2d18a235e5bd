/** The public shape of a vector index; see `vector-index.ts` for how one is chosen and opened. */
import type { SearchHit } from './max-sim.ts';

export type { SearchHit } from './max-sim.ts';

export type VectorEngine = 'sqlite-vss' | 'sqlite-vec' | 'exact';

/**
 * How the approximate engines cover "max over a photo's Q query vectors":
 * - `pooled`: one mean (renormalised) vector per photo finds candidates, which are then
 *   rescored exactly from `embeddings`. Q× smaller and faster; recall < 1 (the mean can
 *   under-rate a photo that matches one query vector strongly), recovered by over-fetching.
 * - `per-query`: every query vector is indexed (rowid = photoId·Q + q) and hits are deduplicated
 *   by photo. With a flat index this is exact, but the index is Q× larger (sqlite-vss hits its
 *   1 GB single-blob limit at ~30k photos at full size, and its build is superlinear: 35 s for
 *   2k photos) and Q× slower to scan (sqlite-vec: 140 ms/query at 10k photos vs 10 ms pooled).
 * Measured by `npm run bench:search`: pooled with max(10·k, 0.5% of photos) candidates keeps
 * recall@10 ≥ 0.99 at 10k and 100k photos, so it is the default.
 * The exact engine ignores the strategy.
 */
export type IndexStrategy = 'pooled' | 'per-query';

export interface SearchOptions {
  /** Only these photos may be returned (e.g. the result of a metadata or text filter). */
  candidatePhotoIds?: ReadonlySet<number>;
}

export interface SyncReport {
  added: number;
  removed: number;
  /** Photos whose embedding row changed (re-read and re-indexed; also counted in added/removed). */
  updated: number;
  /** Embedding rows of this model/kind whose shape does not match the index (ignored). */
  skipped: number;
  /** Photos in the index after the sync. */
  total: number;
  ms: number;
}

export interface VectorIndex {
  readonly engine: VectorEngine;
  readonly strategy: IndexStrategy;
  readonly dimensions: number;
  /** Makes the index equal to the embeddings table for its model_key + kind. */
  sync(): SyncReport;
  /** Best first; every score is the exact max-sim over the photo's stored query vectors. */
  search(query: Float32Array, k: number, opts?: SearchOptions): SearchHit[];
  /** Photos in the index. */
  count(): number;
  close(): void;
}
