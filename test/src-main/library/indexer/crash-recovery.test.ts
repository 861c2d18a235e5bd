import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLibraryDatabase } from '../../../../src-main/library/db/database.ts';
import { openSearchIndex } from '../../../../src-main/library/search/open-index.ts';
import { SIGHTLINE_BIN } from '../../../support/run-cli.ts';
import { convertFixtures, type ConvertedFixture } from '../../../support/golden.ts';
import { PHOTOS_FIXTURE, listFiles } from './library-test-kit.ts';

/** Deterministic "random" kill points, so a failure can be reproduced. */
function* killPoints(seed: number): Generator<{ afterMs: number } | { afterBatches: number }> {
  let s = seed;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  yield { afterMs: 150 + Math.floor(next() * 600) }; // while loading models or scanning
  for (let i = 0; i < 4; i++) yield { afterBatches: 1 + Math.floor(next() * 3) };
}

describe('kill -9 at random points, then restart: nothing lost, nothing duplicated', () => {
  let root: string;
  let photos: string;
  let dbPath: string;
  let models: ConvertedFixture;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'sightline-crash-'));
    photos = join(root, 'photos');
    cpSync(PHOTOS_FIXTURE, photos, { recursive: true });
    dbPath = join(root, 'library.db');
    models = convertFixtures();
  });
  afterAll(() => {
    models.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  function startIndexer(): ChildProcess {
    return spawn(
      process.execPath,
      [
        SIGHTLINE_BIN,
        'index',
        photos,
        '--db',
        dbPath,
        '--caption-model',
        models.opt,
        '--search-model',
        models.itm,
        '--batch-size',
        '2',
        '--workers',
        '1',
        '--beams',
        '2',
        '--max-new-tokens',
        '6',
        '--json',
      ],
      {
        env: { ...process.env, SIGHTLINE_PROVIDER: 'cpu', SIGHTLINE_THREADS: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  }

  /** Files the indexer has finished (indexed or error) so far, read through a separate connection. */
  function finishedFiles(): number {
    try {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        return db
          .prepare<[], { n: number }>(
            "SELECT count(*) n FROM files WHERE status IN ('indexed', 'error')",
          )
          .get()!.n;
      } finally {
        db.close();
      }
    } catch {
      return 0; // not created yet
    }
  }

  async function runUntilKilled(
    point: { afterMs: number } | { afterBatches: number },
  ): Promise<'killed' | 'finished'> {
    const child = startIndexer();
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    const start = finishedFiles();
    const startedAt = Date.now();
    const state = { finished: false };
    void exited.then(() => (state.finished = true));
    while (!state.finished && Date.now() - startedAt < 60_000) {
      const due =
        'afterMs' in point
          ? Date.now() - startedAt >= point.afterMs
          : finishedFiles() >= start + 2 * point.afterBatches;
      if (due) {
        child.kill('SIGKILL');
        await exited;
        return 'killed';
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await exited;
    return 'finished';
  }

  function integrity(): string {
    if (!existsSync(dbPath)) return 'ok'; // killed before the library was created
    const db = new Database(dbPath, { fileMustExist: true });
    try {
      return db.prepare<[], { integrity_check: string }>('PRAGMA integrity_check').get()!
        .integrity_check;
    } finally {
      db.close();
    }
  }

  it('recovers from repeated kills and finishes with exactly one row per photo', async () => {
    let kills = 0;
    for (const point of killPoints(20_251_125)) {
      if ((await runUntilKilled(point)) === 'killed') kills++;
      expect(integrity()).toBe('ok');
    }
    expect(kills).toBeGreaterThanOrEqual(3);

    const final = startIndexer();
    let stdout = '';
    final.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => final.once('exit', resolve));
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ state: 'done' });
    expect(integrity()).toBe('ok');

    const db = openLibraryDatabase(dbPath);
    try {
      const count = (sql: string): number => db.prepare<[], { n: number }>(sql).get()!.n;
      // Every image under library/ and bad/ (the fixture's README.md is not a photo).
      const onDisk = [...listFiles(join(photos, 'library')), ...listFiles(join(photos, 'bad'))];
      expect(count('SELECT count(*) n FROM files')).toBe(onDisk.length);
      expect(count("SELECT count(*) n FROM files WHERE status = 'pending'")).toBe(0);
      expect(count("SELECT count(*) n FROM files WHERE status = 'error'")).toBe(
        listFiles(join(photos, 'bad')).length,
      );
      const photosCount = count('SELECT count(*) n FROM photos');
      expect(photosCount).toBe(
        count("SELECT count(DISTINCT content_hash) n FROM files WHERE status = 'indexed'"),
      );
      expect(count("SELECT count(*) n FROM captions WHERE source = 'model'")).toBe(photosCount);
      expect(count('SELECT count(*) n FROM embeddings')).toBe(photosCount);
      expect(count('SELECT count(*) n FROM photo_text')).toBe(photosCount);
      expect(
        count(
          'SELECT count(*) n FROM (SELECT photo_id, tag, source FROM tags GROUP BY 1, 2, 3 HAVING count(*) > 1)',
        ),
      ).toBe(0);
      const modelKey = db
        .prepare<[], { model_key: string }>("SELECT model_key FROM models WHERE role = 'search'")
        .get()!.model_key;
      const index = openSearchIndex(db, modelKey)!;
      expect(index.index.count()).toBe(photosCount);
      index.index.close();
    } finally {
      db.close();
    }
  }, 300_000);
});
