import { afterEach, describe, expect, it } from 'vitest';
import { openLibraryDatabase } from '../../../../src-main/library/db/database.ts';
import { encodeFp16 } from '../../../../src-main/library/vector/fp16.ts';
import {
  openVectorIndex,
  VectorIndexCapacityError,
  VectorSearchInputError,
  type IndexStrategy,
  type OpenVectorIndexOptions,
  type VectorEngine,
  type VectorIndex,
} from '../../../../src-main/library/vector/vector-index.ts';
import {
  allScores,
  createTestLibrary,
  expectSameRanking,
  extensionAvailable,
  KIND,
  MODEL_KEY,
  recallAt,
  referenceSearch,
  SHAPE,
  type TestLibrary,
} from './vector-fixtures.ts';

interface EngineCase {
  engine: VectorEngine;
  strategy: IndexStrategy;
  /** Exact engines must reproduce the reference ranking; approximate ones reach this recall. */
  exact: boolean;
}

const CASES: EngineCase[] = [
  { engine: 'exact', strategy: 'per-query', exact: true },
  { engine: 'sqlite-vec', strategy: 'per-query', exact: true },
  { engine: 'sqlite-vec', strategy: 'pooled', exact: false },
  { engine: 'sqlite-vss', strategy: 'per-query', exact: true },
  { engine: 'sqlite-vss', strategy: 'pooled', exact: false },
];
const MIN_RECALL = 0.9;
const PHOTOS = 600;
const K = 10;

let opened: TestLibrary[] = [];
afterEach(() => {
  for (const lib of opened) lib.cleanup();
  opened = [];
});

function setUp(photos = PHOTOS): TestLibrary {
  const lib = createTestLibrary(photos);
  opened.push(lib);
  return lib;
}

function open(
  lib: TestLibrary,
  c: EngineCase,
  extra: Partial<OpenVectorIndexOptions> = {},
): VectorIndex {
  return openVectorIndex(lib.db, {
    modelKey: MODEL_KEY,
    kind: KIND,
    ...SHAPE,
    engine: c.engine,
    strategy: c.strategy,
    // Small over-fetch so the approximate path is really approximate on 600 photos.
    minCandidates: 30,
    overfetch: 3,
    ...extra,
  }).index;
}

/** Checks `index` against the brute-force reference over `queries`; returns mean recall@K. */
function compare(
  lib: TestLibrary,
  index: VectorIndex,
  c: EngineCase,
  filter?: ReadonlySet<number>,
): number {
  let recall = 0;
  const queries = 16;
  for (let i = 0; i < queries; i++) {
    const query = lib.library.query(i, PHOTOS);
    const actual = index.search(query, K, filter ? { candidatePhotoIds: filter } : {});
    const expected = referenceSearch(lib.db, query, K, filter);
    const scores = allScores(lib.db, query);
    if (filter) for (const hit of actual) expect(filter.has(hit.photoId)).toBe(true);
    for (const hit of actual) expect(hit.score).toBeCloseTo(scores.get(hit.photoId)!, 5);
    if (c.exact) expectSameRanking(actual, expected, scores);
    recall += recallAt(actual, expected);
  }
  return recall / queries;
}

describe.each(CASES)('$engine ($strategy)', (c) => {
  const available = c.engine === 'exact' || extensionAvailable(c.engine);

  it.skipIf(!available)('agrees with exact brute force', () => {
    const lib = setUp();
    const index = open(lib, c);
    const report = index.sync();
    expect(report).toMatchObject({
      added: PHOTOS,
      removed: 0,
      updated: 0,
      skipped: 0,
      total: PHOTOS,
    });
    expect(index.count()).toBe(PHOTOS);
    expect(compare(lib, index, c)).toBeGreaterThanOrEqual(c.exact ? 1 : MIN_RECALL);
    index.close();
  });

  it.skipIf(!available)('sync follows added, deleted and replaced embeddings', () => {
    const lib = setUp();
    const index = open(lib, c);
    index.sync();
    lib.db.prepare('DELETE FROM embeddings WHERE photo_id <= 30').run();
    // Replaced rows (INSERT OR REPLACE: new rowid) must be re-read.
    const replace = lib.db.prepare(
      'INSERT OR REPLACE INTO embeddings (photo_id, model_key, kind, rows, cols, vectors) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (let id = 100; id < 110; id++) {
      replace.run(
        id,
        MODEL_KEY,
        KIND,
        SHAPE.rows,
        SHAPE.dimensions,
        encodeFp16(lib.library.photoVectors(id + 5000)),
      );
    }
    // A row of another shape is reported as skipped, never indexed.
    lib.db
      .prepare(
        "INSERT INTO photos (id, content_hash, byte_size, created_at) VALUES (5000, 'odd', 0, 0)",
      )
      .run();
    replace.run(
      5000,
      MODEL_KEY,
      KIND,
      SHAPE.rows + 1,
      SHAPE.dimensions,
      encodeFp16(new Float32Array((SHAPE.rows + 1) * SHAPE.dimensions)),
    );
    const added = 50;
    writeMore(lib, PHOTOS, added);

    const report = index.sync();
    expect(report).toMatchObject({ added: added + 10, removed: 30 + 10, updated: 10, skipped: 1 });
    expect(report.total).toBe(PHOTOS - 30 + added);
    expect(index.count()).toBe(PHOTOS - 30 + added);
    expect(index.sync()).toMatchObject({ added: 0, removed: 0, updated: 0 });
    expect(compare(lib, index, c)).toBeGreaterThanOrEqual(c.exact ? 1 : MIN_RECALL);
    const deleted = new Set(Array.from({ length: 30 }, (_, i) => i + 1));
    const hits = index.search(lib.library.query(1, PHOTOS), PHOTOS * 2);
    expect(hits).toHaveLength(PHOTOS - 30 + added);
    expect(hits.some((h) => deleted.has(h.photoId))).toBe(false);
  });

  it.skipIf(!available)('filters by candidate photo ids, small and large sets', () => {
    const lib = setUp();
    const index = open(lib, c, { exactFilterLimit: 40 });
    index.sync();
    const small = new Set([3, 9, 27, 81, 243, 999_999]); // includes an id that is not indexed
    expect(compare(lib, index, c, small)).toBe(1);
    expect(
      index.search(lib.library.query(0, PHOTOS), 100, { candidatePhotoIds: small }),
    ).toHaveLength(5);
    // Above exactFilterLimit: goes through the engine with over-fetch.
    const large = new Set(Array.from({ length: 200 }, (_, i) => 3 * i + 1));
    expect(compare(lib, index, c, large)).toBeGreaterThanOrEqual(c.exact ? 1 : MIN_RECALL);
    expect(index.search(lib.library.query(0, PHOTOS), K, { candidatePhotoIds: new Set() })).toEqual(
      [],
    );
  });

  it.skipIf(!available)('handles an empty index and rejects bad input without crashing', () => {
    const lib = setUp(0);
    const index = open(lib, c);
    expect(index.sync()).toMatchObject({ added: 0, total: 0 });
    const query = new Float32Array(SHAPE.dimensions).fill(0.1);
    expect(index.search(query, K)).toEqual([]);
    writeMore(lib, 0, 5);
    index.sync();
    const nan = query.slice();
    nan[3] = NaN;
    expect(() => index.search(nan, K)).toThrow(VectorSearchInputError);
    expect(() => index.search(new Float32Array([Infinity, ...query.subarray(1)]), K)).toThrow(
      /not finite/,
    );
    expect(() => index.search(query.subarray(1), K)).toThrow(/dimensions/);
    expect(() => index.search(query, 0)).toThrow(/positive integer/);
    expect(() => index.search(query, 2.5)).toThrow(/positive integer/);
    expect(() => index.search([...query] as unknown as Float32Array, K)).toThrow(/Float32Array/);
    // Still alive, and k above the count returns every photo.
    expect(index.search(query, 1000)).toHaveLength(5);
    index.close();
    expect(() => index.search(query, K)).toThrow(/closed/);
  });
});

function writeMore(lib: TestLibrary, first: number, count: number): void {
  const insertPhoto = lib.db.prepare(
    'INSERT OR IGNORE INTO photos (id, content_hash, byte_size, created_at) VALUES (?, ?, 0, 0)',
  );
  const insert = lib.db.prepare(
    'INSERT INTO embeddings (photo_id, model_key, kind, rows, cols, vectors) VALUES (?, ?, ?, ?, ?, ?)',
  );
  for (let i = first; i < first + count; i++) {
    insertPhoto.run(i + 1, `more-${i}`);
    insert.run(
      i + 1,
      MODEL_KEY,
      KIND,
      SHAPE.rows,
      SHAPE.dimensions,
      encodeFp16(lib.library.photoVectors(i)),
    );
  }
}

const vssHere = extensionAvailable('sqlite-vss');
const vecHere = extensionAvailable('sqlite-vec');
const failing = (message: string) => () => {
  throw new Error(message);
};
const autoOptions = { modelKey: MODEL_KEY, kind: KIND, ...SHAPE, engine: 'auto' as const };

describe('automatic engine choice', () => {
  it.skipIf(!vssHere)('prefers sqlite-vss when it loads and the index fits', () => {
    const lib = setUp(50);
    const { engine, reason, index } = openVectorIndex(lib.db, autoOptions);
    expect(engine).toBe('sqlite-vss');
    expect(index.engine).toBe('sqlite-vss');
    expect(reason).toMatch(/sqlite-vss loaded.*50 photos/);
  });

  it.skipIf(!vecHere)('falls back to sqlite-vec when sqlite-vss does not load', () => {
    const lib = setUp(50);
    const loaders = { 'sqlite-vss': failing('no build for this platform') };
    const { engine, reason, index } = openVectorIndex(lib.db, { ...autoOptions, loaders });
    expect(engine).toBe('sqlite-vec');
    expect(reason).toMatch(/sqlite-vss unavailable \(no build for this platform\).*sqlite-vec/);
    expect(index.sync().total).toBe(50);
  });

  it.skipIf(!vssHere || !vecHere)(
    'falls back to sqlite-vec when the vss index would be too large',
    () => {
      const lib = setUp(50);
      const { engine, reason } = openVectorIndex(lib.db, { ...autoOptions, vssBudgetBytes: 1000 });
      expect(engine).toBe('sqlite-vec');
      expect(reason).toMatch(/too large/);
    },
  );

  it('falls back to exact brute force when no extension loads', () => {
    const lib = setUp(50);
    const loaders = { 'sqlite-vss': failing('vss missing'), 'sqlite-vec': failing('vec missing') };
    const { engine, reason, index } = openVectorIndex(lib.db, { ...autoOptions, loaders });
    expect(engine).toBe('exact');
    expect(reason).toMatch(/vss missing.*vec missing.*exact/);
    expect(index.sync().total).toBe(50);
  });

  it('refuses an explicitly requested engine that does not load, and bad shapes', () => {
    const lib = setUp(0);
    const loaders = { 'sqlite-vss': failing('vss missing') };
    expect(() =>
      openVectorIndex(lib.db, { ...autoOptions, engine: 'sqlite-vss', loaders }),
    ).toThrow(/sqlite-vss is not available: vss missing/);
    expect(() => openVectorIndex(lib.db, { ...autoOptions, dimensions: 0 })).toThrow(
      VectorSearchInputError,
    );
  });
});

describe.each((['sqlite-vss', 'sqlite-vec'] as const).filter((e) => extensionAvailable(e)))(
  '%s persistence',
  (engine) => {
    it('keeps the index across connections and rebuilds it when the shape changes', () => {
      const lib = setUp(80);
      const options = { modelKey: MODEL_KEY, kind: KIND, ...SHAPE, engine };
      openVectorIndex(lib.db, options).index.sync();
      lib.db.close();
      const db = openLibraryDatabase(lib.path);
      lib.db = db;
      const { index } = openVectorIndex(db, options);
      expect(index.count()).toBe(80);
      expect(index.sync()).toMatchObject({ added: 0, removed: 0 });
      expect(index.search(lib.library.query(0, 80), 3)).toEqual(
        referenceSearch(db, lib.library.query(0, 80), 3),
      );
      // Same model key, different width: the old index is dropped, and no row matches the new shape.
      const reshaped = openVectorIndex(db, { ...options, dimensions: SHAPE.dimensions * 2 }).index;
      expect(reshaped.count()).toBe(0);
      expect(reshaped.sync()).toMatchObject({ added: 0, skipped: 80, total: 0 });
    });
  },
);

describe.skipIf(!vssHere)('sqlite-vss capacity', () => {
  it('refuses a sync that would exceed the single-blob limit, before touching Faiss', () => {
    const lib = setUp(50);
    const { index } = openVectorIndex(lib.db, {
      ...autoOptions,
      engine: 'sqlite-vss',
      vssLimitBytes: 10 * (SHAPE.dimensions * 4 + 8),
    });
    expect(() => index.sync()).toThrow(VectorIndexCapacityError);
    expect(index.count()).toBe(0);
  });
});
