/**
 * Reads the canonical `embeddings` table for one (model_key, kind): which photos have vectors
 * (with a change token) and their decoded fp16 matrices, in batches. Every index is derived from
 * here, and the approximate engines rescore their candidates from here too.
 */
import type { LibraryDatabase } from '../db/database.ts';
import { decodeFp16Into, halfWords } from './fp16.ts';

export interface EmbeddingShape {
  modelKey: string;
  kind: string;
  /** Query vectors per photo (BLIP-2: num_query_tokens). */
  rows: number;
  dimensions: number;
}

export interface EmbeddingListing {
  /**
   * photo id → change token (the row's SQLite rowid). Writers replace embeddings with
   * INSERT OR REPLACE / DELETE+INSERT, which gives the row a new rowid, so a changed token means
   * "re-read this photo". An in-place UPDATE of `vectors` would keep the token: don't do that.
   */
  tokens: Map<number, number>;
  /** Rows whose rows×cols or blob length does not match the index shape (never indexed). */
  skipped: number;
}

interface BlobRow {
  photo_id: number;
  vectors: Buffer;
}

export class EmbeddingSource {
  private readonly valuesPerPhoto: number;
  private readonly listStatement;
  private readonly byIdsStatement;
  private readonly countStatement;

  constructor(
    private readonly db: LibraryDatabase,
    readonly shape: EmbeddingShape,
  ) {
    this.valuesPerPhoto = shape.rows * shape.dimensions;
    this.listStatement = db.prepare<
      [string, string],
      { photo_id: number; token: number; rows: number; cols: number; bytes: number }
    >(
      `SELECT photo_id, rowid AS token, rows, cols, length(vectors) AS bytes
         FROM embeddings WHERE model_key = ? AND kind = ?`,
    );
    // json_each keeps one prepared statement for any batch size; photo_id leads the primary key.
    this.byIdsStatement = db.prepare<[string, string, number, number, number, string], BlobRow>(
      `SELECT photo_id, vectors FROM embeddings
        WHERE model_key = ? AND kind = ? AND rows = ? AND cols = ? AND length(vectors) = ?
          AND photo_id IN (SELECT value FROM json_each(?))`,
    );
    this.countStatement = db.prepare<[string, string], { n: number }>(
      'SELECT count(*) AS n FROM embeddings WHERE model_key = ? AND kind = ?',
    );
  }

  get database(): LibraryDatabase {
    return this.db;
  }

  /** Photos with embeddings of this model and kind (cheap: no blobs read). */
  count(): number {
    return this.countStatement.get(this.shape.modelKey, this.shape.kind)?.n ?? 0;
  }

  list(): EmbeddingListing {
    const tokens = new Map<number, number>();
    let skipped = 0;
    const expectedBytes = this.valuesPerPhoto * 2;
    for (const row of this.listStatement.iterate(this.shape.modelKey, this.shape.kind)) {
      const ok =
        row.rows === this.shape.rows &&
        row.cols === this.shape.dimensions &&
        row.bytes === expectedBytes;
      if (ok) tokens.set(row.photo_id, row.token);
      else skipped++;
    }
    return { tokens, skipped };
  }

  /** Like `forEach`, but hands over the raw fp16 words (valid only during the call). */
  forEachHalf(
    photoIds: readonly number[],
    visit: (photoId: number, words: Uint16Array) => void,
    batchSize = 1024,
  ): void {
    const { modelKey, kind, rows, dimensions } = this.shape;
    for (let start = 0; start < photoIds.length; start += batchSize) {
      const ids = JSON.stringify(photoIds.slice(start, start + batchSize));
      const bytes = this.valuesPerPhoto * 2;
      for (const row of this.byIdsStatement.all(modelKey, kind, rows, dimensions, bytes, ids)) {
        visit(row.photo_id, halfWords(row.vectors));
      }
    }
  }

  /**
   * Calls `visit(photoId, vectors)` for each requested photo that has a well-formed embedding,
   * reading `batchSize` blobs at a time. `vectors` is a scratch buffer reused between calls:
   * copy it if you keep it.
   */
  forEach(
    photoIds: readonly number[],
    visit: (photoId: number, vectors: Float32Array) => void,
    batchSize = 1024,
  ): void {
    const scratch = new Float32Array(this.valuesPerPhoto);
    const { modelKey, kind, rows, dimensions } = this.shape;
    for (let start = 0; start < photoIds.length; start += batchSize) {
      const ids = JSON.stringify(photoIds.slice(start, start + batchSize));
      const blobs = this.byIdsStatement.all(
        modelKey,
        kind,
        rows,
        dimensions,
        this.valuesPerPhoto * 2,
        ids,
      );
      for (const row of blobs) {
        decodeFp16Into(row.vectors, scratch, 0);
        visit(row.photo_id, scratch);
      }
    }
  }
}
