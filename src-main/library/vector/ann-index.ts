/**
 * The index behind both SQLite extensions: keeps the extension's table equal to `embeddings`
 * (sync) and turns its nearest neighbours into exact max-sim results (search).
 *
 * Search always ends by rescoring candidates with the exact max-sim over the photo's stored fp16
 * query vectors, so scores never depend on the engine; the engine only decides which photos get
 * rescored. See `IndexStrategy` for the pooled / per-query trade-off.
 */
import type { AnnBackend } from './ann-backend.ts';
import type { EmbeddingSource } from './embedding-source.ts';
import {
  dropIndexBookkeeping,
  indexTableName,
  photosTableName,
  recordIndex,
  registerIndex,
  type CatalogEntry,
} from './index-catalog.ts';
import { HALF_TO_FLOAT } from './fp16.ts';
import { maxSimHalf, pooledVector, TopK, type SearchHit } from './max-sim.ts';
import { validateK, validateQuery } from './search-input.ts';
import type { IndexStrategy, SearchOptions, SyncReport, VectorIndex } from './types.ts';
import { quoteIdentifier } from './ann-backend.ts';

export interface AnnIndexOptions {
  strategy: IndexStrategy;
  /** Pooled: photos rescored per requested result (default 10). */
  overfetch?: number;
  /** Pooled: photos rescored at least (default 100). */
  minCandidates?: number;
  /**
   * Pooled: photos rescored at least, as a fraction of the index (default 0.005). A fixed
   * candidate count loses recall as the library grows (synthetic BLIP-2-like data, k=10: 100
   * candidates give recall 0.99 at 10k photos but 0.83 at 100k; 500 give 0.99 at 100k).
   */
  candidateFraction?: number;
  /** Filtered search scores the candidates directly when there are at most this many (default 2048). */
  exactFilterLimit?: number;
  /** Refuse a sync whose index would need more than this many bytes (sqlite-vss' blob limit). */
  capacityBytes?: (vectors: number) => { bytes: number; limit: number } | undefined;
}

export class VectorIndexCapacityError extends Error {
  override readonly name = 'VectorIndexCapacityError';
}

export class AnnVectorIndex implements VectorIndex {
  readonly engine: 'sqlite-vss' | 'sqlite-vec';
  readonly strategy: IndexStrategy;
  readonly dimensions: number;
  private readonly rows: number;
  /** Vectors stored per photo: 1 (pooled) or rows (per-query). */
  private readonly perPhoto: number;
  private readonly overfetch: number;
  private readonly minCandidates: number;
  private readonly candidateFraction: number;
  private readonly exactFilterLimit: number;
  private readonly photos: string;
  private readonly statements;
  private photoCount: number;
  private closed = false;

  constructor(
    private readonly source: EmbeddingSource,
    private readonly backend: AnnBackend,
    private readonly options: AnnIndexOptions,
  ) {
    const db = source.database;
    this.engine = backend.engine;
    this.strategy = options.strategy;
    this.dimensions = source.shape.dimensions;
    this.rows = source.shape.rows;
    this.perPhoto = this.strategy === 'pooled' ? 1 : this.rows;
    this.overfetch = options.overfetch ?? 10;
    this.minCandidates = options.minCandidates ?? 100;
    this.candidateFraction = options.candidateFraction ?? 0.005;
    this.exactFilterLimit = options.exactFilterLimit ?? 2048;

    const entry: CatalogEntry = {
      engine: backend.engine,
      strategy: this.strategy,
      modelKey: source.shape.modelKey,
      kind: source.shape.kind,
      dimensions: this.dimensions,
      rows: this.rows,
    };
    db.transaction(() => {
      if (registerIndex(db, entry).stale) {
        backend.drop();
        dropIndexBookkeeping(db, entry);
      }
      backend.create();
      recordIndex(db, entry);
    })();
    this.photos = quoteIdentifier(photosTableName(indexTableName(entry)));
    this.statements = {
      list: db.prepare<[], { photo_id: number; token: number }>(
        `SELECT photo_id, token FROM ${this.photos}`,
      ),
      count: db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${this.photos}`),
      insert: db.prepare<[number, number]>(
        `INSERT INTO ${this.photos} (photo_id, token) VALUES (?, ?)`,
      ),
      remove: db.prepare<[number]>(`DELETE FROM ${this.photos} WHERE photo_id = ?`),
      indexedAmong: db.prepare<[string], { photo_id: number }>(
        `SELECT photo_id FROM ${this.photos} WHERE photo_id IN (SELECT value FROM json_each(?))`,
      ),
    };
    this.photoCount = this.statements.count.get()?.n ?? 0;
  }

  count(): number {
    return this.photoCount;
  }

  sync(): SyncReport {
    this.assertOpen();
    const started = performance.now();
    const db = this.source.database;
    const { tokens, skipped } = this.source.list();
    const stale: number[] = [];
    let updated = 0;
    const indexed = new Set<number>();
    for (const row of this.statements.list.iterate()) {
      const token = tokens.get(row.photo_id);
      if (token === row.token) {
        indexed.add(row.photo_id);
        continue;
      }
      if (token !== undefined) updated++;
      stale.push(row.photo_id);
    }
    const missing = [...tokens.keys()].filter((id) => !indexed.has(id));
    this.checkCapacity((indexed.size + missing.length) * this.perPhoto);

    let added = 0;
    const removeStale = () => {
      for (const photoId of stale) {
        this.backend.remove(this.rowidsOf(photoId));
        this.statements.remove.run(photoId);
      }
    };
    const addBatch = (batch: number[]) => {
      added += this.addPhotos(batch, tokens);
    };
    // Removals and additions commit in batches, each with its bookkeeping rows, so an interrupted
    // sync leaves a consistent (partial) index that the next sync completes.
    db.transaction(removeStale)();
    const perBatch = Math.max(
      1,
      Math.floor(this.backend.insertBatchVectors(missing.length * this.perPhoto) / this.perPhoto),
    );
    for (let i = 0; i < missing.length; i += perBatch) {
      db.transaction(addBatch)(missing.slice(i, i + perBatch));
    }
    this.photoCount = this.statements.count.get()?.n ?? 0;
    return {
      added,
      removed: stale.length,
      updated,
      skipped,
      total: this.photoCount,
      ms: performance.now() - started,
    };
  }

  search(query: Float32Array, k: number, opts: SearchOptions = {}): SearchHit[] {
    this.assertOpen();
    validateQuery(query, this.dimensions);
    validateK(k);
    if (this.photoCount === 0) return [];
    const filter = opts.candidatePhotoIds;
    if (filter === undefined) {
      return this.rescore(this.nearestPhotos(query, k) ?? this.allIndexed(), query, k);
    }
    if (filter.size === 0) return [];
    if (filter.size <= this.exactFilterLimit) {
      return this.rescore(this.indexedAmong(filter), query, k);
    }
    const found = this.nearestPhotos(query, k, filter);
    return this.rescore(found ?? this.indexedAmong(filter), query, k);
  }

  close(): void {
    this.closed = true;
  }

  /**
   * Photos worth rescoring, nearest first. With a filter, over-fetches in proportion to how
   * selective it is and keeps only filtered photos. Returns undefined when the extension cannot
   * return k photos within its k cap (then the caller scores every eligible photo exactly).
   */
  private nearestPhotos(
    query: Float32Array,
    k: number,
    filter?: ReadonlySet<number>,
  ): number[] | undefined {
    const wanted =
      this.strategy === 'pooled'
        ? Math.max(
            k * this.overfetch,
            this.minCandidates,
            Math.ceil(this.photoCount * this.candidateFraction),
          )
        : k;
    const stored = this.photoCount * this.perPhoto;
    const ceiling = Math.min(stored, this.backend.maxK);
    const selectivity = filter ? Math.min(1, filter.size / this.photoCount) : 1;
    // Per-query hits repeat photos; 4 vectors per wanted photo is usually enough, else we grow.
    const perWanted = this.strategy === 'pooled' ? 1 : 4;
    let n = Math.min(ceiling, Math.ceil((wanted * perWanted) / selectivity));
    for (;;) {
      const photos: number[] = [];
      const seen = new Set<number>();
      for (const rowid of this.backend.knn(query, n)) {
        const photoId = this.strategy === 'pooled' ? rowid : Math.floor(rowid / this.rows);
        if (seen.has(photoId) || (filter && !filter.has(photoId))) continue;
        seen.add(photoId);
        photos.push(photoId);
      }
      const enough = photos.length >= Math.min(wanted, this.photoCount);
      if (enough || n >= stored) return photos;
      // At the extension's k cap: fine if we can still fill k results, else score exhaustively.
      if (n >= ceiling) return photos.length >= k ? photos : undefined;
      n = Math.min(ceiling, n * 4);
    }
  }

  private allIndexed(): number[] {
    return this.statements.list.all().map((r) => r.photo_id);
  }

  private indexedAmong(filter: ReadonlySet<number>): number[] {
    return this.statements.indexedAmong.all(JSON.stringify([...filter])).map((r) => r.photo_id);
  }

  private rescore(photoIds: readonly number[], query: Float32Array, k: number): SearchHit[] {
    const top = new TopK(k);
    this.source.forEachHalf(photoIds, (photoId, words) => {
      top.offer(photoId, maxSimHalf(words, this.rows, query, HALF_TO_FLOAT));
    });
    return top.results();
  }

  private addPhotos(photoIds: readonly number[], tokens: ReadonlyMap<number, number>): number {
    const rowids: number[] = [];
    const vectors = new Float32Array(photoIds.length * this.perPhoto * this.dimensions);
    const indexedIds: number[] = [];
    this.source.forEach(photoIds, (photoId, matrix) => {
      const offset = rowids.length * this.dimensions;
      if (this.strategy === 'pooled') {
        pooledVector(matrix, this.rows, this.dimensions, vectors, offset);
      } else {
        vectors.set(matrix, offset);
      }
      rowids.push(...this.rowidsOf(photoId));
      indexedIds.push(photoId);
    });
    this.backend.insert(rowids, vectors);
    for (const photoId of indexedIds) this.statements.insert.run(photoId, tokens.get(photoId)!);
    return indexedIds.length;
  }

  private rowidsOf(photoId: number): number[] {
    if (this.strategy === 'pooled') return [photoId];
    return Array.from({ length: this.rows }, (_, q) => photoId * this.rows + q);
  }

  private checkCapacity(vectors: number): void {
    const capacity = this.options.capacityBytes?.(vectors);
    if (capacity && capacity.bytes > capacity.limit) {
      throw new VectorIndexCapacityError(
        `${this.engine} index would need ${(capacity.bytes / 1e6).toFixed(0)} MB for ${vectors} ` +
          `vectors, over its ${(capacity.limit / 1e6).toFixed(0)} MB limit: use sqlite-vec ` +
          `(openVectorIndex with engine 'auto' picks it)`,
      );
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('vector index is closed');
  }
}
