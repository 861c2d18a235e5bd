/** Shared setup for the vector index tests: a library database with synthetic embeddings. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  SyntheticLibrary,
  writeSyntheticEmbeddings,
} from '../../../../build/bench/search-synthetic.ts';
import {
  openLibraryDatabase,
  type LibraryDatabase,
} from '../../../../src-main/library/db/database.ts';
import {
  tryLoadExtension,
  defaultExtensionLoaders,
} from '../../../../src-main/library/vector/extensions.ts';
import { decodeFp16 } from '../../../../src-main/library/vector/fp16.ts';
import type { SearchHit } from '../../../../src-main/library/vector/vector-index.ts';

export const MODEL_KEY = 'synthetic-itm';
export const KIND = 'itc-image';
export const SHAPE = { rows: 8, dimensions: 32 };

export interface TestLibrary {
  db: LibraryDatabase;
  library: SyntheticLibrary;
  path: string;
  cleanup(): void;
}

export function createTestLibrary(photos: number, seed = 1): TestLibrary {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-vector-'));
  const path = join(dir, 'library.db');
  const db = openLibraryDatabase(path);
  const library = new SyntheticLibrary({ ...SHAPE, topics: 12, seed });
  writeSyntheticEmbeddings(db, library, {
    modelKey: MODEL_KEY,
    kind: KIND,
    first: 0,
    count: photos,
  });
  return {
    db,
    library,
    path,
    cleanup: () => {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function extensionAvailable(name: 'sqlite-vss' | 'sqlite-vec'): boolean {
  const db = openLibraryDatabase(':memory:');
  try {
    return tryLoadExtension(db, defaultExtensionLoaders[name]) === undefined;
  } finally {
    db.close();
  }
}

/**
 * Ground truth written independently of the engines: decode every embedding row and take the
 * max dot product in plain double-precision loops.
 */
export function referenceSearch(
  db: LibraryDatabase,
  query: Float32Array,
  k: number,
  filter?: ReadonlySet<number>,
): SearchHit[] {
  const rows = db
    .prepare<[string, string], { photo_id: number; rows: number; cols: number; vectors: Buffer }>(
      'SELECT photo_id, rows, cols, vectors FROM embeddings WHERE model_key = ? AND kind = ?',
    )
    .all(MODEL_KEY, KIND);
  const hits: SearchHit[] = [];
  for (const row of rows) {
    if (filter && !filter.has(row.photo_id)) continue;
    const values = decodeFp16(row.vectors);
    let best = -Infinity;
    for (let r = 0; r < row.rows; r++) {
      let dot = 0;
      for (let c = 0; c < row.cols; c++) dot += values[r * row.cols + c]! * query[c]!;
      best = Math.max(best, dot);
    }
    hits.push({ photoId: row.photo_id, score: best });
  }
  return hits.sort((a, b) => b.score - a.score || a.photoId - b.photoId).slice(0, k);
}

const TIE = 1e-5;

/** Same ranking as the reference, allowing only near-ties (summation order) to swap. */
export function expectSameRanking(
  actual: SearchHit[],
  expected: SearchHit[],
  all: Map<number, number>,
): void {
  expect(actual.map((h) => h.score)).toHaveLength(expected.length);
  actual.forEach((hit, i) => {
    expect(hit.score).toBeCloseTo(expected[i]!.score, 5);
    // The hit's own exact score must be the one reported.
    expect(Math.abs(all.get(hit.photoId)! - hit.score)).toBeLessThan(TIE);
  });
  expect(new Set(actual.map((h) => h.photoId)).size).toBe(actual.length);
}

export function recallAt(actual: SearchHit[], expected: SearchHit[]): number {
  const truth = new Set(expected.map((h) => h.photoId));
  return actual.filter((h) => truth.has(h.photoId)).length / expected.length;
}

/** photo id → exact score for every photo (to check reported scores). */
export function allScores(db: LibraryDatabase, query: Float32Array): Map<number, number> {
  return new Map(referenceSearch(db, query, Infinity).map((h) => [h.photoId, h.score]));
}
