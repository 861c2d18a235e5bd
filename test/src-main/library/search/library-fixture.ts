import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Blip2Retrieval } from '../../../../src-main/engine/blip2/retrieval.ts';
import { encodeImages, loadPixelBatch } from '../../../../src-main/engine/blip2/vision-encoder.ts';
import { runtimeOptionsFrom } from '../../../../src-main/engine/runtime/providers.ts';
import {
  openLibraryDatabase,
  type LibraryDatabase,
} from '../../../../src-main/library/db/database.ts';
import { modelKey } from '../../../../src-main/library/models.ts';
import { decodeFp16, encodeFp16 } from '../../../../src-main/library/vector/fp16.ts';
import { convertFixtures } from '../../../support/golden.ts';

/**
 * A small library written directly with SQL, shaped like the indexer's output, whose embeddings
 * come from the tiny fixture's real retrieval model (so text search runs end to end).
 */
export const PHOTOS_DIR = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'photos');
const LIBRARY = join(PHOTOS_DIR, 'library');

export interface FixturePhoto {
  name: string;
  files: { path: string; status: 'indexed' | 'pending' | 'error' | 'missing' }[];
  takenAt?: string;
  cameraMake?: string;
  cameraModel?: string;
  gps?: [number, number];
  keywords?: string[];
  modelCaption?: string;
  userCaption?: string;
  tags?: { tag: string; source: 'user' | 'zero-shot' | 'caption' | 'keyword'; score?: number }[];
  /** False: indexed metadata and text, but no search embedding yet. */
  embedded?: boolean;
}

const indexed = (path: string): FixturePhoto['files'][number] => ({ path, status: 'indexed' });

export const FIXTURE_PHOTOS: FixturePhoto[] = [
  {
    name: 'chelsea',
    files: [
      indexed(join(LIBRARY, 'pets', 'chelsea.png')),
      { path: join(LIBRARY, 'pets', 'chelsea-copy-with-longer-name.png'), status: 'missing' },
    ],
    takenAt: '2021-03-02T10:00:00',
    cameraMake: 'Apple',
    cameraModel: 'iPhone 12',
    modelCaption: 'a cat lying on a sofa',
    userCaption: 'our tabby chelsea',
    tags: [
      { tag: 'cat', source: 'user' },
      { tag: 'cat', source: 'zero-shot', score: 0.9 },
      { tag: 'animal', source: 'zero-shot', score: 0.7 },
      { tag: 'sofa', source: 'caption', score: 0.5 },
    ],
  },
  {
    name: 'building',
    files: [
      // Longer indexed path beats a shorter pending one.
      { path: join(LIBRARY, '2019', 'b.jpg'), status: 'pending' },
      indexed(join(LIBRARY, '2019', 'holiday', 'building-rotated.jpg')),
    ],
    takenAt: '2019-07-14T16:32:05',
    cameraMake: 'Canon',
    cameraModel: 'Canon EOS 80D',
    gps: [48.8584, 2.2945],
    keywords: ['architecture', 'city'],
    modelCaption: 'an old stone building',
    tags: [
      { tag: 'architecture', source: 'keyword' },
      { tag: 'city', source: 'keyword' },
    ],
  },
  {
    name: 'baboon',
    files: [indexed(join(LIBRARY, '2019', 'holiday', 'baboon.jpg'))],
    takenAt: '2019-08-01T09:00:00',
    cameraMake: 'NIKON CORPORATION',
    cameraModel: 'NIKON D750',
    modelCaption: 'a monkey with a colourful face',
    tags: [{ tag: 'animal', source: 'zero-shot', score: 0.95 }],
  },
  {
    name: 'astronaut',
    files: [indexed(join(LIBRARY, 'misc', 'astronaut.png'))],
    takenAt: '1984-02-07T12:00:00',
    modelCaption: 'an astronaut in a space suit with a flag',
  },
  {
    name: 'coffee',
    files: [indexed(join(LIBRARY, 'misc', 'coffee.png'))],
    modelCaption: 'a cup of coffee on a saucer',
    tags: [{ tag: 'drink', source: 'zero-shot', score: 0.6 }],
  },
  {
    name: 'rocket',
    files: [indexed(join(LIBRARY, 'misc', 'rocket.jpg'))],
    takenAt: '2020-01-01T00:00:00',
    gps: [28.5, -80.6],
    modelCaption: 'a rocket launching into the sky, with "smoke", everywhere',
  },
  {
    name: 'img0',
    files: [indexed(join(PHOTOS_DIR, '..', 'blip2-tiny', 'images', 'img0_rgb.jpg'))],
    modelCaption: 'a test card',
  },
  {
    name: 'gone',
    // Every file missing: the photo must never show up.
    files: [{ path: join(LIBRARY, 'misc', 'fruits.jpg'), status: 'missing' }],
    modelCaption: 'a bowl of fruits with a cat',
    tags: [{ tag: 'cat', source: 'user' }],
  },
  {
    name: 'butterfly',
    files: [indexed(join(LIBRARY, '2019', 'holiday', 'butterfly.jpg'))],
    modelCaption: 'a butterfly on a flower',
    tags: [{ tag: 'insect', source: 'zero-shot', score: 0.8 }],
    embedded: false,
  },
];

export interface FixtureLibrary {
  dir: string;
  dbPath: string;
  db: LibraryDatabase;
  itmDir: string;
  retrieval: Blip2Retrieval;
  modelKey: string;
  /** Photo name → id. */
  ids: Map<string, number>;
  /** Photo id → stored (fp16-rounded) query vectors, as the index sees them. */
  stored: Map<number, Float32Array>;
  rows: number;
  dimensions: number;
  cleanup(): Promise<void>;
}

export async function buildFixtureLibrary(): Promise<FixtureLibrary> {
  const converted = convertFixtures();
  const dir = mkdtempSync(join(tmpdir(), 'sightline-search-'));
  const dbPath = join(dir, 'library.db');
  const db = openLibraryDatabase(dbPath);
  const retrieval = await Blip2Retrieval.load(
    converted.itm,
    runtimeOptionsFrom({ provider: 'cpu', threads: 1 }),
  );
  const key = modelKey(retrieval.model.manifest);
  const now = Date.now();
  db.prepare(
    `INSERT INTO models (model_key, role, dir, vision_fingerprint, registered_at)
     VALUES (?, 'search', ?, ?, ?)`,
  ).run(key, converted.itm, retrieval.model.manifest.visionFingerprint, now);
  const rootId = Number(
    db.prepare('INSERT INTO roots (path, added_at) VALUES (?, ?)').run(PHOTOS_DIR, now)
      .lastInsertRowid,
  );

  const ids = new Map<string, number>();
  const stored = new Map<number, Float32Array>();
  let rows = 0;
  let dimensions = 0;
  for (const [i, photo] of FIXTURE_PHOTOS.entries()) {
    const photoId = Number(
      db
        .prepare(
          `INSERT INTO photos (content_hash, byte_size, taken_at, camera_make, camera_model,
             gps_latitude, gps_longitude, keywords, created_at)
           VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          `hash-${i}`,
          photo.takenAt ?? null,
          photo.cameraMake ?? null,
          photo.cameraModel ?? null,
          photo.gps?.[0] ?? null,
          photo.gps?.[1] ?? null,
          JSON.stringify(photo.keywords ?? []),
          now,
        ).lastInsertRowid,
    );
    ids.set(photo.name, photoId);
    for (const file of photo.files) {
      db.prepare(
        `INSERT INTO files (root_id, path, size, mtime_ms, photo_id, status, updated_at)
         VALUES (?, ?, 1, 0, ?, ?, ?)`,
      ).run(rootId, file.path, photoId, file.status, now);
    }
    if (photo.modelCaption) {
      db.prepare(
        `INSERT INTO captions (photo_id, text, source, model_key, created_at)
         VALUES (?, ?, 'model', 'opt', ?)`,
      ).run(photoId, photo.modelCaption, now);
    }
    if (photo.userCaption) {
      db.prepare(
        `INSERT INTO captions (photo_id, text, source, created_at) VALUES (?, ?, 'user', ?)`,
      ).run(photoId, photo.userCaption, now);
    }
    for (const tag of photo.tags ?? []) {
      db.prepare('INSERT INTO tags (photo_id, tag, source, score) VALUES (?, ?, ?, ?)').run(
        photoId,
        tag.tag,
        tag.source,
        tag.score ?? null,
      );
    }
    db.prepare(
      'INSERT INTO photo_text (rowid, caption, tags, filenames, keywords) VALUES (?, ?, ?, ?, ?)',
    ).run(
      photoId,
      photo.userCaption ?? photo.modelCaption ?? '',
      [...new Set((photo.tags ?? []).map((t) => t.tag))].join(' '),
      photo.files.map((f) => basename(f.path)).join(' '),
      (photo.keywords ?? []).join(' '),
    );
    if (photo.embedded === false) continue;
    const imageFile = photo.files.find((f) => f.status !== 'pending')!.path;
    const embeds = await encodeImages(
      retrieval.model,
      await loadPixelBatch(retrieval.model, [imageFile]),
    );
    const feats = await retrieval.imageFeatures(embeds);
    [, rows, dimensions] = feats.dims as [number, number, number];
    const blob = encodeFp16(feats.data);
    db.prepare(
      `INSERT INTO embeddings (photo_id, model_key, kind, rows, cols, vectors)
       VALUES (?, ?, 'itc_image', ?, ?, ?)`,
    ).run(photoId, key, rows, dimensions, blob);
    stored.set(photoId, decodeFp16(blob));
  }
  return {
    dir,
    dbPath,
    db,
    itmDir: converted.itm,
    retrieval,
    modelKey: key,
    ids,
    stored,
    rows,
    dimensions,
    async cleanup() {
      await retrieval.release();
      db.close();
      rmSync(dir, { recursive: true, force: true });
      converted.cleanup();
    },
  };
}

/** Max over the photo's query vectors of the dot product: the ITC score, computed naively. */
export function maxSimilarity(vectors: Float32Array, query: Float32Array): number {
  let best = -Infinity;
  for (let offset = 0; offset < vectors.length; offset += query.length) {
    let dot = 0;
    for (let i = 0; i < query.length; i++) dot += vectors[offset + i]! * query[i]!;
    best = Math.max(best, dot);
  }
  return best;
}
