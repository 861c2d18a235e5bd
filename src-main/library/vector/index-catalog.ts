/**
 * Where the derived SQLite indexes are recorded: one row per (engine, strategy, model_key, kind)
 * in `vector_indexes`, naming the extension's table and its `<table>_photos` bookkeeping table
 * (photo id → embeddings rowid it was built from). These tables are created on demand rather
 * than by a migration because the virtual tables need the extension loaded; all of them can be
 * dropped at any time and rebuilt from `embeddings` by the next sync.
 */
import { createHash } from 'node:crypto';
import type { LibraryDatabase } from '../db/database.ts';
import { quoteIdentifier } from './ann-backend.ts';
import type { IndexStrategy } from './types.ts';

export interface CatalogEntry {
  engine: 'sqlite-vss' | 'sqlite-vec';
  strategy: IndexStrategy;
  modelKey: string;
  kind: string;
  dimensions: number;
  rows: number;
}

export function indexTableName(entry: CatalogEntry): string {
  const digest = createHash('sha256')
    .update(`${entry.engine}\0${entry.strategy}\0${entry.modelKey}\0${entry.kind}`)
    .digest('hex')
    .slice(0, 16);
  const engine = entry.engine === 'sqlite-vss' ? 'vss' : 'vec';
  return `vector_index_${engine}_${entry.strategy === 'pooled' ? 'pooled' : 'perq'}_${digest}`;
}

export const photosTableName = (table: string): string => `${table}_photos`;

/**
 * Makes sure the catalog row and the bookkeeping table exist for `entry`. Returns true when an
 * existing index was built for a different shape and must be dropped first (`dropIndex`).
 */
export function registerIndex(db: LibraryDatabase, entry: CatalogEntry): { stale: boolean } {
  db.exec(`CREATE TABLE IF NOT EXISTS vector_indexes (
    name TEXT PRIMARY KEY,
    engine TEXT NOT NULL,
    strategy TEXT NOT NULL,
    model_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    dimensions INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  )`);
  const name = indexTableName(entry);
  const existing = db
    .prepare<[string], { dimensions: number; rows: number }>(
      'SELECT dimensions, rows FROM vector_indexes WHERE name = ?',
    )
    .get(name);
  const stale =
    existing !== undefined &&
    (existing.dimensions !== entry.dimensions || existing.rows !== entry.rows);
  return { stale };
}

export function recordIndex(db: LibraryDatabase, entry: CatalogEntry): void {
  const name = indexTableName(entry);
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(photosTableName(name))} ` +
      '(photo_id INTEGER PRIMARY KEY, token INTEGER NOT NULL)',
  );
  db.prepare(
    `INSERT OR REPLACE INTO vector_indexes
       (name, engine, strategy, model_key, kind, dimensions, rows, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    name,
    entry.engine,
    entry.strategy,
    entry.modelKey,
    entry.kind,
    entry.dimensions,
    entry.rows,
    Date.now(),
  );
}

export function dropIndexBookkeeping(db: LibraryDatabase, entry: CatalogEntry): void {
  const name = indexTableName(entry);
  db.exec(`DROP TABLE IF EXISTS ${quoteIdentifier(photosTableName(name))}`);
  db.prepare('DELETE FROM vector_indexes WHERE name = ?').run(name);
}
