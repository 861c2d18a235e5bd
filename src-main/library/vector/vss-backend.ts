/**
 * sqlite-vss (Faiss) backend: a `vss0` table with a flat inner-product index behind an IDMap so
 * rowids are our ids. Flat rather than IVF: at the sizes the 1 GB blob limit allows (≤ ~1M
 * vectors of 256 dims) a flat scan is BLAS-fast, exact, and needs no training (IVF training on
 * fewer vectors than clusters is one of the Faiss exceptions that abort the process).
 * Every call here assumes validated input; see `search-input.ts`.
 */
import type { LibraryDatabase } from '../db/database.ts';
import { quoteIdentifier, vectorBlob, type AnnBackend } from './ann-backend.ts';

/** SQLite's default SQLITE_MAX_LENGTH: vss0 keeps its whole Faiss index in one blob. */
export const VSS_BLOB_LIMIT_BYTES = 1_000_000_000;

/** Serialized size of a Flat,IDMap index: the float32 vectors plus one int64 id each. */
export function estimateVssIndexBytes(vectors: number, dimensions: number): number {
  return vectors * (dimensions * 4 + 8);
}

export function createVssBackend(
  db: LibraryDatabase,
  table: string,
  dimensions: number,
): AnnBackend {
  const name = quoteIdentifier(table);
  let insertStatement: ReturnType<typeof prepareInsert> | undefined;
  let deleteStatement: ReturnType<typeof prepareDelete> | undefined;
  let searchStatement: ReturnType<typeof prepareSearch> | undefined;
  const prepareInsert = () =>
    db.prepare<[number, Buffer]>(`INSERT INTO ${name}(rowid, vector) VALUES (?, ?)`);
  const prepareDelete = () => db.prepare<[number]>(`DELETE FROM ${name} WHERE rowid = ?`);
  const prepareSearch = () =>
    db.prepare<[Buffer, number], { rowid: number; distance: number }>(
      `SELECT rowid, distance FROM ${name} WHERE vss_search(vector, vss_search_params(?, ?))`,
    );

  return {
    engine: 'sqlite-vss',
    maxK: Number.MAX_SAFE_INTEGER,
    // Cost of a sync of n vectors in batches of b: (n/b) index rewrites of up to n vectors plus
    // n inserts each paying for ~b/2 pending ones; minimised near b = 2·sqrt(n).
    insertBatchVectors: (total) => Math.min(4096, Math.max(512, Math.round(2 * Math.sqrt(total)))),
    create() {
      db.exec(
        `CREATE VIRTUAL TABLE IF NOT EXISTS ${name} USING vss0(` +
          `vector(${dimensions}) factory="Flat,IDMap" metric_type=INNER_PRODUCT)`,
      );
    },
    drop() {
      insertStatement = deleteStatement = searchStatement = undefined;
      db.exec(`DROP TABLE IF EXISTS ${name}`);
    },
    insert(rowids, vectors) {
      insertStatement ??= prepareInsert();
      for (let i = 0; i < rowids.length; i++) {
        insertStatement.run(rowids[i]!, vectorBlob(vectors, i * dimensions, dimensions));
      }
    },
    remove(rowids) {
      deleteStatement ??= prepareDelete();
      for (const rowid of rowids) deleteStatement.run(rowid);
    },
    knn(query, k) {
      searchStatement ??= prepareSearch();
      const rows = searchStatement.all(vectorBlob(query, 0, query.length), k);
      // Inner product: larger distance = nearer. Sorted here rather than trusting Faiss' order.
      return rows.sort((a, b) => b.distance - a.distance).map((r) => r.rowid);
    },
  };
}
