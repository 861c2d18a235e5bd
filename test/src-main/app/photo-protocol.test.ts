import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parsePhotoUrl,
  resolvePhotoRequest,
  type PhotoAccessPolicy,
  type ServedFile,
} from '../../../src-main/app/photo-protocol.ts';
import { photoUrl, type PhotoFileKind } from '../../../src-main/shared/photo-urls.ts';

// A real folder tree, because the interesting attacks (symlinks) only exist on disk:
//   library/pets/cat.jpg          a photo inside the library
//   library/escape.jpg -> ../secret/passwd.jpg   inside by name, outside in reality
//   thumbs/1.jpg                  a thumbnail
//   secret/passwd.jpg             outside everything
//   outside/opened.png            a file the user opened with the app
//   outside/opened-link.png -> ../secret/passwd.jpg   opened by name; served by its real path
let base: string;
/** What the fake service answers for `<kind>/<id>`. */
let served: Map<string, string>;
let policy: PhotoAccessPolicy;

function file(relative: string): string {
  const full = path.join(base, relative);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, `bytes of ${relative}`);
  return full;
}

function photoFile(kind: PhotoFileKind, id: number): Promise<ServedFile | null> {
  const found = served.get(`${kind}/${id}`);
  return Promise.resolve(found === undefined ? null : { path: found });
}

const url = (kind: PhotoFileKind, id: number): string => photoUrl('sightline-photo://', kind, id);

beforeAll(() => {
  base = realpathSync(mkdtempSync(path.join(tmpdir(), 'sightline-photo-protocol-')));
  const cat = file('library/pets/cat.jpg');
  const secret = file('secret/passwd.jpg');
  const thumb = file('thumbs/1.jpg');
  file('library/notes.txt');
  file('outside/opened.png');
  symlinkSync(secret, path.join(base, 'library/escape.jpg'));
  symlinkSync(path.join(base, 'library'), path.join(base, 'library-link'));
  served = new Map([
    ['original/1', cat],
    ['thumbnail/1', thumb],
    ['original/2', path.join(base, 'library/escape.jpg')],
    ['original/3', secret],
    ['thumbnail/3', secret],
    ['original/4', path.join(base, 'library/notes.txt')],
    ['original/5', path.join(base, 'library/gone.jpg')],
    ['original/6', 'library/pets/cat.jpg'],
    ['original/7', `${base}/library/../library/pets/cat.jpg`],
    ['opened/1', path.join(base, 'outside/opened.png')],
    ['opened/2', cat],
    ['opened/3', `${base}/outside/../outside/opened.png`],
    ['opened/4', 'outside/opened.png'],
    ['opened/5', path.join(base, 'outside/vanished.png')],
  ]);
  policy = {
    libraryRoots: [path.join(base, 'library-link')],
    thumbnailDir: path.join(base, 'thumbs'),
    openedFiles: [path.join(base, 'outside/opened.png'), path.join(base, 'outside/vanished.png')],
    photoFile,
  };
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('resolvePhotoRequest: library photos', () => {
  it('serves an original inside a root, by its real path, with its MIME type', async () => {
    // The root itself is a symlink: both sides are resolved before comparing.
    await expect(resolvePhotoRequest(url('original', 1), policy)).resolves.toEqual({
      ok: true,
      filePath: path.join(base, 'library/pets/cat.jpg'),
      mimeType: 'image/jpeg',
    });
  });

  it('serves thumbnails from the thumbnail folder', async () => {
    expect(await resolvePhotoRequest(url('thumbnail', 1), policy)).toEqual({
      ok: true,
      filePath: path.join(base, 'thumbs/1.jpg'),
      mimeType: 'image/jpeg',
    });
  });

  it('refuses a symlink whose name is inside a root but whose target is not', async () => {
    // Root given by its real name, so only resolving the file's symlink can catch the escape.
    const realRoot = { ...policy, libraryRoots: [path.join(base, 'library')] };
    expect(await resolvePhotoRequest(url('original', 1), realRoot)).toMatchObject({ ok: true });
    expect(await resolvePhotoRequest(url('original', 2), realRoot)).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(await resolvePhotoRequest(url('original', 2), policy)).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('refuses files outside the roots, and thumbnails outside the cache', async () => {
    expect(await resolvePhotoRequest(url('original', 3), policy)).toMatchObject({ status: 403 });
    expect(await resolvePhotoRequest(url('thumbnail', 3), policy)).toMatchObject({ status: 403 });
    // An original is never served from the thumbnail folder, nor a thumbnail from a root.
    const swapped = { ...policy, libraryRoots: [path.join(base, 'thumbs')] };
    expect(await resolvePhotoRequest(url('original', 1), swapped)).toMatchObject({ status: 403 });
    const noThumbs = { ...policy, thumbnailDir: path.join(base, 'library') };
    expect(await resolvePhotoRequest(url('thumbnail', 1), noThumbs)).toMatchObject({
      status: 403,
    });
  });

  it('refuses non-image files, relative and unnormalised stored paths', async () => {
    for (const id of [4, 6, 7]) {
      expect(await resolvePhotoRequest(url('original', id), policy), `${id}`).toMatchObject({
        status: 403,
      });
    }
  });

  it('answers 404 for unknown ids, missing thumbnails and vanished files', async () => {
    for (const missing of [url('original', 999), url('thumbnail', 2), url('original', 5)]) {
      expect(await resolvePhotoRequest(missing, policy), missing).toMatchObject({
        ok: false,
        status: 404,
      });
    }
  });

  it('does not consult the service for malformed URLs', async () => {
    const asked: string[] = [];
    const spying: PhotoAccessPolicy = {
      ...policy,
      photoFile: (kind, id) => (asked.push(`${kind}/${id}`), photoFile(kind, id)),
    };
    for (const malformed of [
      'sightline-photo://original/1/..',
      'sightline-photo://original/..%2f1',
      'sightline-photo://original/%2e%2e/1',
      'sightline-photo://original/1%00',
      'sightline-photo://original/1?x=1',
      'sightline-photo://original/1#frag',
      'sightline-photo://original/a.b',
      'sightline-photo://original/01',
      'sightline-photo://original/-1',
      'sightline-photo://original/1.5',
      'sightline-photo://original/99999999999999999999',
      'sightline-photo://original/',
      'sightline-photo://original/1/2',
    ]) {
      expect(await resolvePhotoRequest(malformed, spying), malformed).toMatchObject({
        ok: false,
        status: 403,
      });
    }
    expect(asked).toEqual([]);
  });
});

describe('resolvePhotoRequest: traversal and URL tricks', () => {
  it.each([
    'sightline-photo://original/../../secret/passwd.jpg',
    'sightline-photo://thumbnail/./1',
    'sightline-photo://thumbnail/x/../1',
    'sightline-photo://original/%2E%2E/secret',
    'sightline-photo://original%2f1',
    'sightline-photo://original%5c1',
    'sightline-photo://original\\1',
    'sightline-photo://original/1\0',
    'sightline-photo://user:pw@original/1',
    'sightline-photo://original:8080/1',
    'sightline-photo://elsewhere/1',
    'sightline-photo://file/?path=%2Fetc%2Fpasswd',
    'sightline-photo://file?path=/etc/passwd',
    'https://original/1',
    'file:///etc/passwd',
    'not a url',
  ])('refuses %s', async (malformed) => {
    expect(await resolvePhotoRequest(malformed, policy)).toMatchObject({ ok: false, status: 403 });
  });
});

describe('resolvePhotoRequest: files opened by the user', () => {
  const opened = (): string => path.join(base, 'outside/opened.png');

  it('serves a file only while the shell lists it as opened', async () => {
    expect(await resolvePhotoRequest(url('opened', 1), policy)).toEqual({
      ok: true,
      filePath: opened(),
      mimeType: 'image/png',
    });
    expect(
      await resolvePhotoRequest(url('opened', 1), { ...policy, openedFiles: [] }),
    ).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses what the service names but the shell never reported, even inside the library', async () => {
    expect(await resolvePhotoRequest(url('opened', 2), policy)).toMatchObject({ status: 403 });
  });

  it('refuses paths that only normalise onto a listed file, and relative paths', async () => {
    expect(await resolvePhotoRequest(url('opened', 3), policy)).toMatchObject({ status: 403 });
    expect(await resolvePhotoRequest(url('opened', 4), policy)).toMatchObject({ status: 403 });
  });

  it('serves a listed symlink by its real path, but only if that is an image type', async () => {
    const link = path.join(base, 'outside/opened-link.png');
    symlinkSync(path.join(base, 'library/pets/cat.jpg'), link);
    const withLink: PhotoAccessPolicy = {
      ...policy,
      openedFiles: [link],
      photoFile: (kind, id) =>
        Promise.resolve(kind === 'opened' && id === 9 ? { path: link } : null),
    };
    expect(await resolvePhotoRequest(url('opened', 9), withLink)).toEqual({
      ok: true,
      filePath: path.join(base, 'library/pets/cat.jpg'),
      mimeType: 'image/jpeg',
    });
  });

  it('answers 404 for unknown numbers and vanished files', async () => {
    expect(await resolvePhotoRequest(url('opened', 77), policy)).toMatchObject({ status: 404 });
    expect(await resolvePhotoRequest(url('opened', 5), policy)).toMatchObject({ status: 404 });
  });
});

describe('parsePhotoUrl', () => {
  it('accepts every kind, in any host casing, and never a path', () => {
    expect(parsePhotoUrl('sightline-photo://THUMBNAIL/42')).toEqual({ kind: 'thumbnail', id: 42 });
    expect(parsePhotoUrl('sightline-photo://original/7')).toEqual({ kind: 'original', id: 7 });
    expect(parsePhotoUrl('sightline-photo://opened/3')).toEqual({ kind: 'opened', id: 3 });
    expect(parsePhotoUrl('sightline-photo://file/?path=%2Fa%2Fb.jpg')).toMatchObject({
      kind: 'invalid',
    });
  });
});
