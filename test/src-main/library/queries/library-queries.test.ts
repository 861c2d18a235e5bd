import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  openLibraryDatabase,
  type LibraryDatabase,
} from '../../../../src-main/library/db/database.ts';
import {
  csvField,
  exportCsv,
  exportLibrary,
  libraryStatus,
  listErrors,
  listTags,
} from '../../../../src-main/library/queries/library-queries.ts';

let db: LibraryDatabase;
let photoCount = 0;

function photo(): number {
  return Number(
    db
      .prepare('INSERT INTO photos (content_hash, byte_size, created_at) VALUES (?, 1, 0)')
      .run(`h${photoCount++}`).lastInsertRowid,
  );
}

function file(path: string, status: string, photoId: number | null, reason?: string): void {
  const fileId = db
    .prepare(
      `INSERT INTO files (root_id, path, size, mtime_ms, photo_id, status, updated_at)
       VALUES (1, ?, 1, 0, ?, ?, 0)`,
    )
    .run(path, photoId, status).lastInsertRowid;
  if (reason !== undefined) {
    db.prepare(
      "INSERT INTO file_errors (file_id, stage, reason, at) VALUES (?, 'decode', ?, 0)",
    ).run(fileId, reason);
  }
}

function caption(photoId: number, text: string, source: 'user' | 'model', at: number): void {
  db.prepare(
    'INSERT INTO captions (photo_id, text, source, model_key, created_at) VALUES (?, ?, ?, ?, ?)',
  ).run(photoId, text, source, source === 'model' ? `m${at}` : '', at);
}

function tag(photoId: number, name: string, source: string, score: number | null = null): void {
  db.prepare('INSERT INTO tags (photo_id, tag, source, score) VALUES (?, ?, ?, ?)').run(
    photoId,
    name,
    source,
    score,
  );
}

let cat: number;
let dog: number;
let gone: number;

beforeEach(() => {
  db = openLibraryDatabase(':memory:');
  db.prepare("INSERT INTO roots (id, path, added_at) VALUES (1, '/p', 0)").run();
  cat = photo();
  dog = photo();
  gone = photo();
  file('/p/cats/cat.jpg', 'indexed', cat);
  file('/p/c.jpg', 'missing', cat);
  file('/p/copies/cat, the second.jpg', 'indexed', cat);
  file('/p/dog.jpg', 'pending', dog);
  file('/p/gone.jpg', 'missing', gone);
  file('/p/new.jpg', 'pending', null);
  file('/p/bad.jpg', 'error', null, 'truncated: the file ends early');
  file('/p/also-bad.heic', 'error', null);
  caption(cat, 'a cat, "sleeping"', 'model', 1);
  caption(cat, 'a newer model caption', 'model', 2);
  caption(dog, 'a dog', 'model', 1);
  caption(dog, 'Rex\nin the garden', 'user', 0);
  caption(gone, 'gone', 'model', 1);
  tag(cat, 'cat', 'zero-shot', 0.9);
  tag(cat, 'cat', 'user');
  tag(cat, 'sofa', 'caption', 0.4);
  tag(cat, 'animal', 'zero-shot', 0.8);
  tag(cat, 'pet', 'user');
  tag(dog, 'animal', 'zero-shot', 0.7);
  tag(gone, 'animal', 'user');
  tag(gone, 'ghost', 'keyword');
});
afterEach(() => db.close());

describe('library queries', () => {
  it('status counts visible photos and files by state', () => {
    expect(libraryStatus(db)).toEqual({ photos: 2, files: 6, errors: 2, pending: 2 });
  });

  it('lists errors with their recorded reason', () => {
    expect(listErrors(db)).toEqual([
      { path: '/p/also-bad.heic', reason: 'unknown error', stage: null },
      { path: '/p/bad.jpg', reason: 'truncated: the file ends early', stage: 'decode' },
    ]);
  });

  it('counts each tag once per visible photo, user source first', () => {
    expect(listTags(db)).toEqual([
      { tag: 'animal', count: 2, sources: ['zero-shot'] },
      { tag: 'cat', count: 1, sources: ['user', 'zero-shot'] },
      { tag: 'pet', count: 1, sources: ['user'] },
      { tag: 'sofa', count: 1, sources: ['caption'] },
    ]);
  });

  it('exports one row per visible photo: paths, winning caption, user tags first', () => {
    expect(exportLibrary(db)).toEqual([
      {
        paths: ['/p/cats/cat.jpg', '/p/copies/cat, the second.jpg'],
        caption: 'a newer model caption',
        tags: ['cat', 'pet', 'animal', 'sofa'],
      },
      { paths: ['/p/dog.jpg'], caption: 'Rex\nin the garden', tags: ['animal'] },
    ]);
  });

  it('writes RFC 4180 CSV', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a "b", c')).toBe('"a ""b"", c"');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    caption(cat, 'my "best" cat', 'user', 3);
    expect(exportCsv(exportLibrary(db))).toBe(
      'paths,caption,tags\r\n' +
        '"/p/cats/cat.jpg; /p/copies/cat, the second.jpg","my ""best"" cat",cat; pet; animal; sofa\r\n' +
        '/p/dog.jpg,"Rex\nin the garden",animal\r\n',
    );
  });
});
