/**
 * Opening a vector index over the `embeddings` table, with the engine chosen automatically:
 *
 * 1. sqlite-vss (Faiss) when it loads here and its index, which vss0 stores as ONE blob, stays
 *    well under SQLite's 1 GB blob limit (estimated from the photo count, with headroom to grow);
 * 2. else sqlite-vec (loads on Windows too, no size limit, brute-force scan inside SQLite);
 * 3. else exact brute force in memory.
 *
 * Whatever the engine, scores are the exact max-sim over the photo's stored query vectors.
 */
import type { LibraryDatabase } from '../db/database.ts';
import { AnnVectorIndex, type AnnIndexOptions } from './ann-index.ts';
import { EmbeddingSource } from './embedding-source.ts';
import { ExactVectorIndex } from './exact-index.ts';
import { defaultExtensionLoaders, tryLoadExtension, type ExtensionLoaders } from './extensions.ts';
import { validateShape } from './search-input.ts';
import type { IndexStrategy, VectorEngine, VectorIndex } from './types.ts';
import { createVecBackend } from './vec-backend.ts';
import { createVssBackend, estimateVssIndexBytes, VSS_BLOB_LIMIT_BYTES } from './vss-backend.ts';
import { indexTableName } from './index-catalog.ts';

export type {
  IndexStrategy,
  SearchHit,
  SearchOptions,
  SyncReport,
  VectorEngine,
  VectorIndex,
} from './types.ts';
export { VectorIndexCapacityError } from './ann-index.ts';
export { VectorSearchInputError } from './search-input.ts';

export interface OpenVectorIndexOptions {
  modelKey: string;
  kind: string;
  /** Embedding width E (BLIP-2 ITC: 256). */
  dimensions: number;
  /** Query vectors per photo Q (BLIP-2: 32). */
  rows: number;
  engine?: 'auto' | VectorEngine;
  /** For the SQLite engines (default 'pooled'); see `IndexStrategy`. */
  strategy?: IndexStrategy;
  /** Replaces the real extension loaders (tests simulate a missing sqlite-vss this way). */
  loaders?: Partial<ExtensionLoaders>;
  /** Auto picks sqlite-vss only below this estimated index size (default: 60% of 1 GB). */
  vssBudgetBytes?: number;
  /** Hard limit on the sqlite-vss index (default SQLite's 1 GB SQLITE_MAX_LENGTH). */
  vssLimitBytes?: number;
  overfetch?: number;
  minCandidates?: number;
  candidateFraction?: number;
  exactFilterLimit?: number;
}

export interface OpenedVectorIndex {
  index: VectorIndex;
  engine: VectorEngine;
  /** Why this engine (shown to the user and in logs). */
  reason: string;
}

// Headroom so a library can grow after the choice before the 1 GB hard limit bites.
const DEFAULT_VSS_BUDGET = 0.6 * VSS_BLOB_LIMIT_BYTES;

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(0)} MB`;

export function openVectorIndex(
  db: LibraryDatabase,
  options: OpenVectorIndexOptions,
): OpenedVectorIndex {
  validateShape(options.dimensions, options.rows);
  const loaders = { ...defaultExtensionLoaders, ...options.loaders };
  const source = new EmbeddingSource(db, {
    modelKey: options.modelKey,
    kind: options.kind,
    rows: options.rows,
    dimensions: options.dimensions,
  });
  const strategy = options.strategy ?? 'pooled';
  const requested = options.engine ?? 'auto';
  const annOptions: AnnIndexOptions = {
    strategy,
    overfetch: options.overfetch,
    minCandidates: options.minCandidates,
    candidateFraction: options.candidateFraction,
    exactFilterLimit: options.exactFilterLimit,
  };
  const table = (engine: 'sqlite-vss' | 'sqlite-vec') =>
    indexTableName({ engine, strategy, ...source.shape });
  const vectorsPerPhoto = strategy === 'pooled' ? 1 : options.rows;

  const openVss = () =>
    new AnnVectorIndex(source, createVssBackend(db, table('sqlite-vss'), options.dimensions), {
      ...annOptions,
      capacityBytes: (vectors) => ({
        bytes: estimateVssIndexBytes(vectors, options.dimensions),
        limit: options.vssLimitBytes ?? VSS_BLOB_LIMIT_BYTES,
      }),
    });
  const openVec = () =>
    new AnnVectorIndex(
      source,
      createVecBackend(db, table('sqlite-vec'), options.dimensions),
      annOptions,
    );
  const openExact = () => new ExactVectorIndex(source);

  if (requested !== 'auto') {
    if (requested === 'exact') return { index: openExact(), engine: 'exact', reason: 'requested' };
    const failure = tryLoadExtension(db, loaders[requested]);
    if (failure !== undefined) throw new Error(`${requested} is not available: ${failure}`);
    const index = requested === 'sqlite-vss' ? openVss() : openVec();
    return { index, engine: requested, reason: 'requested' };
  }

  const notes: string[] = [];
  const vssFailure = tryLoadExtension(db, loaders['sqlite-vss']);
  if (vssFailure === undefined) {
    const photos = source.count();
    const estimate = estimateVssIndexBytes(photos * vectorsPerPhoto, options.dimensions);
    const budget = options.vssBudgetBytes ?? DEFAULT_VSS_BUDGET;
    const sizing = `${photos} photos × ${vectorsPerPhoto} vectors × ${options.dimensions} dims ≈ ${mb(estimate)}`;
    if (estimate <= budget) {
      return {
        index: openVss(),
        engine: 'sqlite-vss',
        reason: `sqlite-vss loaded; its single-blob index (${sizing}) is within the ${mb(budget)} budget`,
      };
    }
    notes.push(
      `sqlite-vss index too large for its 1 GB single blob (${sizing} > ${mb(budget)} budget)`,
    );
  } else {
    notes.push(`sqlite-vss unavailable (${vssFailure})`);
  }

  const vecFailure = tryLoadExtension(db, loaders['sqlite-vec']);
  if (vecFailure === undefined) {
    return {
      index: openVec(),
      engine: 'sqlite-vec',
      reason: `${notes.join('; ')}; using sqlite-vec`,
    };
  }
  notes.push(`sqlite-vec unavailable (${vecFailure})`);
  return {
    index: openExact(),
    engine: 'exact',
    reason: `${notes.join('; ')}; using exact brute force`,
  };
}
