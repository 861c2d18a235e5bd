import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGHTLINE_BIN } from '../../../support/run-cli.ts';
import { convertFixtures, type ConvertedFixture } from '../../../support/golden.ts';
import { PHOTOS_FIXTURE } from './library-test-kit.ts';

describe('sightline index --watch', () => {
  let root: string;
  let models: ConvertedFixture;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'sightline-watch-'));
    models = convertFixtures();
  });
  afterAll(() => {
    models.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  function indexedPaths(dbPath: string): string[] {
    if (!existsSync(dbPath)) return [];
    const db = new Database(dbPath, { readonly: true });
    try {
      return db
        .prepare<[], { path: string }>("SELECT path FROM files WHERE status = 'indexed'")
        .all()
        .map((r) => r.path);
    } finally {
      db.close();
    }
  }

  async function until(condition: () => boolean, what: string): Promise<void> {
    const started = Date.now();
    while (!condition()) {
      if (Date.now() - started > 60_000) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('indexes a photo added while it runs, and stops cleanly on Ctrl-C', async () => {
    const photos = join(root, 'photos');
    mkdirSync(photos);
    cpSync(join(PHOTOS_FIXTURE, 'library', 'pets'), photos, { recursive: true });
    const dbPath = join(root, 'library.db');
    const child = spawn(
      process.execPath,
      [
        SIGHTLINE_BIN,
        'index',
        photos,
        '--watch',
        '--db',
        dbPath,
        '--caption-model',
        models.opt,
        '--search-model',
        models.itm,
        '--workers',
        '1',
        '--beams',
        '1',
        '--max-new-tokens',
        '4',
        '--json',
      ],
      {
        env: { ...process.env, SIGHTLINE_PROVIDER: 'cpu', SIGHTLINE_THREADS: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await until(() => stderr.includes('watching'), 'the first pass');
    expect(indexedPaths(dbPath)).toHaveLength(3);
    copyFileSync(join(PHOTOS_FIXTURE, 'library', 'misc', 'rocket.jpg'), join(photos, 'rocket.jpg'));
    await until(
      () => indexedPaths(dbPath).some((p) => p.endsWith('rocket.jpg')),
      'the new photo to be indexed',
    );
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  }, 120_000);
});
