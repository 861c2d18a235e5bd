/**
 * Loading the SQLite vector extensions into a connection. Loaders are injectable so tests (and
 * platforms without a build, like sqlite-vss on Windows) can exercise every fallback.
 */
import * as sqliteVec from 'sqlite-vec';
import * as sqliteVss from 'sqlite-vss';
import type { LibraryDatabase } from '../db/database.ts';

export type ExtensionName = 'sqlite-vss' | 'sqlite-vec';
export type ExtensionLoader = (db: LibraryDatabase) => void;
export type ExtensionLoaders = Record<ExtensionName, ExtensionLoader>;

export const defaultExtensionLoaders: ExtensionLoaders = {
  'sqlite-vss': (db) => {
    // Faiss parallelises a single query with OpenMP, whose thread wake-ups cost more than the
    // search: measured 7 ms → 0.15 ms per query at 1k vectors with one thread. libgomp reads
    // this when vss0 first loads it; a value the user set wins.
    process.env.OMP_NUM_THREADS ??= '1';
    sqliteVss.load(loadingUnpacked(db));
  },
  'sqlite-vec': (db) => {
    sqliteVec.load(loadingUnpacked(db));
  },
};

/**
 * In a packaged app the packages sit inside app.asar, so the extension paths they compute point
 * into the archive; Electron patches `fs` to read from it, but SQLite's dlopen cannot, so the
 * loadable files are shipped unpacked beside it (asarUnpack) and loaded from there.
 */
export function asarUnpackedPath(path: string): string {
  return path.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

/**
 * The connection as the packages' `load()` sees it, with extension paths out of the archive
 * (they pass no entry point, and better-sqlite3 would not take one).
 */
function loadingUnpacked(db: LibraryDatabase): { loadExtension(file: string): void } {
  return {
    loadExtension: (file) => {
      db.loadExtension(asarUnpackedPath(file));
    },
  };
}

const loaded = new WeakMap<LibraryDatabase, Set<ExtensionLoader>>();

/** Loads once per connection and loader; returns the error message when it cannot load. */
export function tryLoadExtension(db: LibraryDatabase, loader: ExtensionLoader): string | undefined {
  let done = loaded.get(db);
  if (done?.has(loader)) return undefined;
  try {
    loader(db);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  if (!done) loaded.set(db, (done = new Set<ExtensionLoader>()));
  done.add(loader);
  return undefined;
}
