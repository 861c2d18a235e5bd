import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIGRATIONS, type Migration } from './migrations.ts';

export type LibraryDatabase = Database.Database;

export interface OpenOptions {
  readonly?: boolean;
  /** Applied migrations (default: all). Tests use it to check upgrades. */
  migrations?: readonly Migration[];
  /**
   * better-sqlite3's compiled addon to load instead of its own (`npm start` in development runs
   * Electron, whose ABI differs from the Node build in node_modules; see build/electron-native.mjs).
   */
  nativeBinding?: string;
}

/**
 * Opens (creating if needed) a Sightline library database: WAL so readers never block the one
 * writer, foreign keys on, synchronous=NORMAL (durable at checkpoints; a crash loses at most the
 * last transactions, never consistency), and every pending migration applied.
 */
export function openLibraryDatabase(path: string, options: OpenOptions = {}): LibraryDatabase {
  if (path !== ':memory:' && !options.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, {
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
    ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
  });
  db.pragma('busy_timeout = 10000');
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
  }
  db.pragma('foreign_keys = ON');
  if (!options.readonly) migrate(db, options.migrations ?? MIGRATIONS);
  return db;
}

export function migrate(db: LibraryDatabase, migrations: readonly Migration[]): number[] {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  const applied = new Set(
    db
      .prepare<[], { version: number }>('SELECT version FROM schema_migrations')
      .all()
      .map((r) => r.version),
  );
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (newest > known) {
    throw new Error(
      `this library was written by a newer Sightline (schema ${newest}, this version knows ${known})`,
    );
  }
  const ran: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        Date.now(),
      );
    })();
    ran.push(migration.version);
  }
  return ran;
}

export function schemaVersion(db: LibraryDatabase): number {
  const row = db
    .prepare<[], { v: number | null }>('SELECT max(version) AS v FROM schema_migrations')
    .get();
  return row?.v ?? 0;
}
