import { join } from 'node:path';
import { runSightline, type CliResult } from '../../support/run-cli.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeImages, loadPixelBatch } from '../../../src-main/engine/blip2/vision-encoder.ts';
import {
  exportCsv,
  exportLibrary,
  libraryStatus,
  listTags,
} from '../../../src-main/library/queries/library-queries.ts';
import { openSearchIndex } from '../../../src-main/library/search/open-index.ts';
import { LibrarySearch, type SearchHit } from '../../../src-main/library/search/search-service.ts';
import { imagePath } from '../../support/golden.ts';
import {
  PHOTOS_DIR,
  buildFixtureLibrary,
  type FixtureLibrary,
} from '../library/search/library-fixture.ts';

let lib: FixtureLibrary;
let env: NodeJS.ProcessEnv;

const sightline = (...args: string[]): Promise<CliResult> => runSightline(env, ...args);

async function json<T>(...args: string[]): Promise<T> {
  const result = await sightline(...args, '--db', lib.dbPath, '--json');
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** What the CLI's JSON should hold for in-process hits. */
function expectedJson(hits: SearchHit[]): unknown[] {
  return hits.map((h): unknown =>
    expect.objectContaining({
      path: h.path,
      score: expect.closeTo(h.score, 6) as unknown,
      caption: h.caption,
    }),
  );
}

async function inProcess<T>(work: (search: LibrarySearch) => Promise<T>): Promise<T> {
  const { index } = openSearchIndex(lib.db, lib.modelKey)!;
  try {
    return await work(
      new LibrarySearch(lib.db, {
        retrieval: lib.retrieval,
        modelKey: lib.modelKey,
        vectorIndex: index,
      }),
    );
  } finally {
    index.close();
  }
}

beforeAll(async () => {
  lib = await buildFixtureLibrary();
  const fileId = lib.db
    .prepare(
      `INSERT INTO files (root_id, path, size, mtime_ms, status, updated_at)
       VALUES (1, ?, 0, 0, 'error', 0)`,
    )
    .run(join(PHOTOS_DIR, 'bad', 'empty.jpg')).lastInsertRowid;
  lib.db
    .prepare("INSERT INTO file_errors (file_id, stage, reason, at) VALUES (?, 'decode', ?, 0)")
    .run(fileId, 'empty: the file has no bytes');
  // The default data folder is somewhere empty, so nothing can fall back to a real library.
  env = {
    ...process.env,
    SIGHTLINE_PROVIDER: 'cpu',
    SIGHTLINE_THREADS: '1',
    SIGHTLINE_HOME: join(lib.dir, 'home'),
  };
});
afterAll(async () => {
  await lib.cleanup();
});

describe('sightline library read commands', () => {
  it('status, errors, tags and export print the documented JSON', async () => {
    const status = await json<Record<string, number>>('status');
    expect(Object.keys(status).sort()).toEqual(['errors', 'files', 'pending', 'photos']);
    expect(status).toEqual(libraryStatus(lib.db));
    expect(status.errors).toBe(1);

    const errors = await json<{ path: string; reason: string }[]>('errors');
    expect(errors).toEqual([
      expect.objectContaining({
        path: join(PHOTOS_DIR, 'bad', 'empty.jpg'),
        reason: 'empty: the file has no bytes',
      }),
    ]);

    expect(await json('tags')).toEqual(listTags(lib.db));
    const exported = await json<{ paths: string[]; caption: string; tags: string[] }[]>(
      'export',
      '--format',
      'json',
    );
    expect(exported).toEqual(exportLibrary(lib.db));
    const csv = await sightline('export', '--format', 'csv', '--db', lib.dbPath);
    expect(csv.stdout).toBe(exportCsv(exportLibrary(lib.db)));
  });

  it('prints readable tables without --json', async () => {
    const status = await sightline('status', '--db', lib.dbPath);
    expect(status.stdout).toMatch(/^photos\s+files\s+errors\s+pending\n\d+\s+\d+\s+1\s+\d+\n$/);
    const tags = await sightline('tags', '--db', lib.dbPath);
    expect(tags.stdout.split('\n')[0]).toMatch(/^tag\s+photos\s+sources$/);
    expect(tags.stdout).toMatch(/\ncat\s+1\s+user, zero-shot\n/);
  });

  it('search --json gives path, score and caption, best first, with filters', async () => {
    const text = 'a cat on a sofa';
    const expected = await inProcess((s) => s.search(text, { limit: 5, rerank: false }));
    const hits = await json<Record<string, unknown>[]>(
      'search',
      text,
      '--limit',
      '5',
      '--rerank',
      '0',
    );
    expect(hits).toEqual(expectedJson(expected));

    const canon = await json<{ path: string }[]>('search', text, '--camera', 'CANON');
    expect(canon.map((h) => h.path)).toEqual([
      join(PHOTOS_DIR, 'library', '2019', 'holiday', 'building-rotated.jpg'),
    ]);
    const reranked = await json<{ itm?: number }[]>(
      'search',
      text,
      '--rerank',
      '2',
      '--search-model',
      lib.itmDir,
    );
    expect(reranked.filter((h) => h.itm !== undefined)).toHaveLength(2);
  });

  it('similar works for a library photo and for an image outside the library', async () => {
    const photo = join(PHOTOS_DIR, 'library', 'pets', 'chelsea.png');
    const expected = await inProcess((s) => s.similar(photo, { limit: 4 }));
    const hits = await json<{ path: string }[]>('similar', photo, '--limit', '4');
    expect(hits).toEqual(expectedJson(expected));
    expect(hits.map((h) => h.path)).not.toContain(photo);

    const outside = imagePath('img1_rgba');
    const feats = await lib.retrieval.imageFeatures(
      await encodeImages(lib.retrieval.model, await loadPixelBatch(lib.retrieval.model, [outside])),
    );
    const expectedOutside = await inProcess((s) =>
      s.similarToFeatures(feats.data, feats.dims[1]!, { limit: 3 }),
    );
    expect(await json('similar', outside, '--limit', '3')).toEqual(expectedJson(expectedOutside));
  });

  it('fails clearly without a library or a model', async () => {
    const noDb = await sightline('status', '--db', join(lib.dir, 'nothing.db'));
    expect(noDb.code).toBe(1);
    expect(noDb.stderr).toMatch(/no library at .*nothing\.db/);
    const noModel = await sightline(
      'search',
      'x',
      '--db',
      lib.dbPath,
      '--search-model',
      join(lib.dir, 'no-model'),
    );
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/no converted model at .*no-model.*sightline models convert/);
    const badDate = await sightline('search', 'x', '--db', lib.dbPath, '--from', 'last week');
    expect(badDate.code).not.toBe(0);
    expect(badDate.stderr).toMatch(/--from/);
  });
});
