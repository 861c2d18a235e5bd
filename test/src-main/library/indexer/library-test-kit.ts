import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Blip2Captioner } from '../../../../src-main/engine/blip2/captioner.ts';
import { Blip2Retrieval } from '../../../../src-main/engine/blip2/retrieval.ts';
import {
  openLibraryDatabase,
  type LibraryDatabase,
} from '../../../../src-main/library/db/database.ts';
import { Indexer, type IndexerOptions } from '../../../../src-main/library/indexer/indexer.ts';
import { DecodePool } from '../../../../src-main/library/media/decode-pool.ts';
import { convertFixtures, type ConvertedFixture } from '../../../support/golden.ts';

export const PHOTOS_FIXTURE = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'photos');
export const CPU = { providers: ['cpu'] as const, intraOpThreads: 1 };

/** Relative paths of every file in a tree (sorted), e.g. `library/pets/chelsea.png`. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

export interface LibraryKit {
  root: string;
  photos: string;
  dbPath: string;
  thumbnails: string;
  models: ConvertedFixture;
  db: LibraryDatabase;
  captioner: Blip2Captioner;
  retrieval: Blip2Retrieval;
  pool: DecodePool;
  indexer(extra?: Partial<IndexerOptions>): Indexer;
  close(): Promise<void>;
}

/** A private copy of the test photos, the tiny converted models and an empty library. */
export async function createLibraryKit(): Promise<LibraryKit> {
  const root = mkdtempSync(join(tmpdir(), 'sightline-library-'));
  const photos = join(root, 'photos');
  cpSync(PHOTOS_FIXTURE, photos, { recursive: true });
  const models = convertFixtures();
  const dbPath = join(root, 'library.db');
  const db = openLibraryDatabase(dbPath);
  const [captioner, retrieval] = await Promise.all([
    Blip2Captioner.load(models.opt, CPU),
    Blip2Retrieval.load(models.itm, CPU),
  ]);
  const pool = new DecodePool({ size: 2 });
  const thumbnails = join(root, 'thumbnails');
  return {
    root,
    photos,
    dbPath,
    thumbnails,
    models,
    db,
    captioner,
    retrieval,
    pool,
    indexer: (extra = {}) =>
      new Indexer({
        db,
        captioner,
        retrieval,
        pool,
        thumbnailDir: thumbnails,
        batchSize: 4,
        inference: { caption: { maxNewTokens: 6, numBeams: 2 } },
        ...extra,
      }),
    async close() {
      await pool.close();
      await Promise.all([captioner.release(), retrieval.release()]);
      db.close();
      models.cleanup();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function fileSize(path: string): number {
  return statSync(path).size;
}
