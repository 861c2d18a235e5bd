import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openLibraryDatabase,
  type LibraryDatabase,
} from '../../../src-main/library/db/database.ts';
import { DuplicateStacks } from '../../../src-main/service/duplicate-stacks.ts';

const PHOTOS = join(import.meta.dirname, '..', '..', 'fixtures', 'photos', 'library');

let work: string;
let db: LibraryDatabase;

/** A photo row with one file, its thumbnail made from `source` at `width` pixels wide. */
async function addPhoto(id: number, source: string, width: number, files = 1): Promise<void> {
  const thumbnail = join(work, `thumb-${id}.jpg`);
  await sharp(source).resize(width).jpeg({ quality: 80 }).toFile(thumbnail);
  db.prepare(
    `INSERT INTO photos (id, content_hash, byte_size, format, width, height, thumbnail_path, created_at)
     VALUES (?, ?, ?, 'jpeg', ?, ?, ?, 0)`,
  ).run(id, `hash-${id}`, 1000 * width, width, width, thumbnail);
  for (let f = 0; f < files; f++) {
    db.prepare(
      `INSERT INTO files (root_id, path, size, mtime_ms, content_hash, photo_id, status, updated_at)
       VALUES (1, ?, 1, 0, ?, ?, 'indexed', 0)`,
    ).run(join(work, `photo-${id}-${f}.jpg`), `hash-${id}`, id);
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sightline-stacks-'));
  db = openLibraryDatabase(join(work, 'library.db'));
  db.prepare('INSERT INTO roots (id, path, added_at) VALUES (1, ?, 0)').run(work);
  await addPhoto(1, join(PHOTOS, 'misc', 'coffee.png'), 400);
  await addPhoto(2, join(PHOTOS, 'misc', 'coffee.png'), 150); // a smaller copy
  await addPhoto(3, join(PHOTOS, 'misc', 'rocket.jpg'), 300, 2); // two identical files
  await addPhoto(4, join(PHOTOS, '2019', 'holiday', 'baboon.jpg'), 300);
});
afterAll(() => {
  db.close();
  rmSync(work, { recursive: true, force: true });
});

describe('DuplicateStacks', () => {
  it('stacks near copies and exact copies, showing the largest, and keeps the user’s pick', async () => {
    const stacks = new DuplicateStacks(db);
    const index = await stacks.index();
    expect(index.stacks.map((s) => [s.photoIds, s.shown, s.files])).toEqual([
      [[1, 2], 1, 2],
      [[3], 3, 2],
    ]);
    expect(index.hidden).toEqual([2]);
    await stacks.show(2);
    expect((await stacks.index()).hidden).toEqual([1]);
    // The pick survives a restart (it lives in the library).
    expect((await new DuplicateStacks(db).index()).hidden).toEqual([1]);
    await expect(stacks.show(4)).rejects.toMatchObject({ code: 'not-found' });
  });

  it('hashes a large backlog in the background and says when the stacks changed', async () => {
    let restacked!: () => void;
    const announced = new Promise<void>((resolve) => (restacked = resolve));
    const stacks = new DuplicateStacks(db, () => restacked(), 2);
    // Four unhashed thumbnails, more than the two it may hash while the caller waits.
    const first = await stacks.index();
    expect(first.stacks.map((s) => s.photoIds)).toEqual([[3]]);
    await announced;
    expect((await stacks.index()).stacks.map((s) => s.photoIds)).toEqual([[1, 2], [3]]);
  });
});
