/**
 * sqlite-vec backend: a `vec0` table (`float[E]`, cosine distance; on normalised vectors that
 * ranks like inner product). vec0 scans exhaustively, so results are exact for what it stores;
 * it runs everywhere sqlite-vss does not (Windows) and has no single-blob size limit.
 */
import type { LibraryDatabase } from '../db/database.ts';
import { quoteIdentifier, vectorBlob, type AnnBackend } from './ann-backend.ts';

/** sqlite-vec refuses KNN queries with k above this. */
export const VEC_MAX_K = 4096;

export function createVecBackend(
  db: LibraryDatabase,
  table: string,
  dimensions: number,
): AnnBackend {
  const name = quoteIdentifier(table);
  let insertStatement: ReturnType<typeof prepareInsert> | undefined;
  let deleteStatement: ReturnType<typeof prepareDelete> | undefined;
  let searchStatement: ReturnType<typeof prepareSearch> | undefined;
  // vec0 insists on integer-typed rowids, and better-sqlite3 binds JS numbers as REAL: use BigInt.
  const prepareInsert = () =>
    db.prepare<[bigint, Buffer]>(`INSERT INTO ${name}(rowid, embedding) VALUES (?, ?)`);
  const prepareDelete = () => db.prepare<[bigint]>(`DELETE FROM ${name} WHERE rowid = ?`);
  const prepareSearch = () =>
    db.prepare<[Buffer, number], { rowid: number; distance: number }>(
      `SELECT rowid, distance FROM ${name} WHERE embedding MATCH ? AND k = ? ORDER BY distance`,
    );

  return {
    engine: 'sqlite-vec',
    maxK: VEC_MAX_K,
    // vec0 appends to fixed-size chunks: any batch works; this one keeps the WAL small.
    insertBatchVectors: () => 32_768,
    create() {
      db.exec(
        `CREATE VIRTUAL TABLE IF NOT EXISTS ${name} USING vec0(` +
          `embedding float[${dimensions}] distance_metric=cosine)`,
      );
    },
    drop() {
      insertStatement = deleteStatement = searchStatement = undefined;
      db.exec(`DROP TABLE IF EXISTS ${name}`);
    },
    insert(rowids, vectors) {
      insertStatement ??= prepareInsert();
      for (let i = 0; i < rowids.length; i++) {
        insertStatement.run(BigInt(rowids[i]!), vectorBlob(vectors, i * dimensions, dimensions));
      }
    },
    remove(rowids) {
      deleteStatement ??= prepareDelete();
      for (const rowid of rowids) deleteStatement.run(BigInt(rowid));
    },
    knn(query, k) {
      searchStatement ??= prepareSearch();
      return searchStatement.all(vectorBlob(query, 0, query.length), k).map((r) => r.rowid);
    },
  };
}
