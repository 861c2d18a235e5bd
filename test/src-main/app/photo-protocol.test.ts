import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openedFileUrl,
  parsePhotoUrl,
  resolvePhotoRequest,
  type PhotoAccessPolicy,
  type PhotoFiles,
} from '../../../src-main/app/photo-protocol.ts';

// A real folder tree, because the interesting attacks (symlinks) only exist on disk:
//   library/pets/cat.jpg          a photo inside the library
//   library/escape.jpg -> ../secret/passwd.jpg   inside by name, outside in reality
//   thumbs/1.jpg                  a thumbnail
//   secret/passwd.jpg             outside everything
//   outside/opened.png            a file the user opened with the app
let base: string;
let photos: Map<string, PhotoFiles>;
let policy: PhotoAccessPolicy;

function file(relative: string): string {
  const full = path.join(base, relative);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, `bytes of ${relative}`);
  return full;
}

beforeAll(() => {
  base = realpathSync(mkdtempSync(path.join(tmpdir(), 'sightline-photo-protocol-')));
  const cat = file('library/pets/cat.jpg');
  const secret = file('secret/passwd.jpg');
  const thumb = file('thumbs/1.jpg');
  file('library/notes.txt');
  file('outside/opened.png');
  symlinkSync(secret, path.join(base, 'library/escape.jpg'));
  symlinkSync(path.join(base, 'library'), path.join(base, 'library-link'));
  photos = new Map<string, PhotoFiles>([
    ['1', { originalPath: cat, thumbnailPath: thumb }],
    ['2', { originalPath: path.join(base, 'library/escape.jpg'), thumbnailPath: null }],
    ['3', { originalPath: secret, thumbnailPath: secret }],
    ['4', { originalPath: path.join(base, 'library/notes.txt'), thumbnailPath: null }],
    ['5', { originalPath: path.join(base, 'library/gone.jpg'), thumbnailPath: null }],
    ['6', { originalPath: 'library/pets/cat.jpg', thumbnailPath: null }],
  ]);
  policy = {
    libraryRoots: [path.join(base, 'library-link')],
    thumbnailDir: path.join(base, 'thumbs'),
    openedFiles: [path.join(base, 'outside/opened.png')],
    lookupPhoto: (id) => photos.get(id) ?? null,
  };
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('resolvePhotoRequest: library photos', () => {
  it('serves an original inside a root, by its real path, with its MIME type', async () => {
    // The root itself is a symlink: both sides are resolved before comparing.
    await expect(resolvePhotoRequest('sightline-photo://original/1', policy)).resolves.toEqual({
      ok: true,
      filePath: path.join(base, 'library/pets/cat.jpg'),
      mimeType: 'image/jpeg',
    });
  });

  it('serves thumbnails from the thumbnail folder', async () => {
    const answer = await resolvePhotoRequest('sightline-photo://thumbnail/1', policy);
    expect(answer).toEqual({
      ok: true,
      filePath: path.join(base, 'thumbs/1.jpg'),
      mimeType: 'image/jpeg',
    });
  });

  it('refuses a symlink whose name is inside a root but whose target is not', async () => {
    // Root given by its real name, so only resolving the file's symlink can catch the escape.
    const realRoot = { ...policy, libraryRoots: [path.join(base, 'library')] };
    expect(await resolvePhotoRequest('sightline-photo://original/1', realRoot)).toMatchObject({
      ok: true,
    });
    expect(await resolvePhotoRequest('sightline-photo://original/2', realRoot)).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(await resolvePhotoRequest('sightline-photo://original/2', policy)).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('refuses files outside the roots, and thumbnails outside the cache', async () => {
    expect(await resolvePhotoRequest('sightline-photo://original/3', policy)).toMatchObject({
      ok: false,
      status: 403,
    });
    expect(await resolvePhotoRequest('sightline-photo://thumbnail/3', policy)).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('refuses non-image files and relative stored paths', async () => {
    expect(await resolvePhotoRequest('sightline-photo://original/4', policy)).toMatchObject({
      status: 403,
    });
    expect(await resolvePhotoRequest('sightline-photo://original/6', policy)).toMatchObject({
      status: 403,
    });
  });

  it('answers 404 for unknown ids, missing thumbnails and vanished files', async () => {
    for (const url of [
      'sightline-photo://original/999',
      'sightline-photo://thumbnail/2',
      'sightline-photo://original/5',
    ]) {
      expect(await resolvePhotoRequest(url, policy), url).toMatchObject({ ok: false, status: 404 });
    }
  });

  it('does not consult the library for malformed ids', async () => {
    const asked: string[] = [];
    const spying = {
      ...policy,
      lookupPhoto: (id: string) => (asked.push(id), photos.get(id) ?? null),
    };
    for (const url of [
      'sightline-photo://original/1/..',
      'sightline-photo://original/..%2f1',
      'sightline-photo://original/%2e%2e/1',
      'sightline-photo://original/1%00',
      'sightline-photo://original/1?x=1',
      'sightline-photo://original/1#frag',
      'sightline-photo://original/a.b',
      'sightline-photo://original/',
    ]) {
      expect(await resolvePhotoRequest(url, spying), url).toMatchObject({ ok: false, status: 403 });
    }
    expect(asked).toEqual([]);
  });
});

describe('resolvePhotoRequest: traversal and URL tricks', () => {
  it.each([
    'sightline-photo://original/../../secret/passwd.jpg',
    'sightline-photo://thumbnail/./1',
    'sightline-photo://original/%2E%2E/secret',
    'sightline-photo://original%2f1',
    'sightline-photo://original\\1',
    'sightline-photo://original/1\0',
    'sightline-photo://user:pw@original/1',
    'sightline-photo://original:8080/1',
    'sightline-photo://elsewhere/1',
    'https://original/1',
    'file:///etc/passwd',
    'not a url',
  ])('refuses %s', async (url) => {
    expect(await resolvePhotoRequest(url, policy)).toMatchObject({ ok: false, status: 403 });
  });
});

describe('resolvePhotoRequest: files opened by the user', () => {
  const opened = (): string => path.join(base, 'outside/opened.png');

  it('serves a file only while it is on the opened list', async () => {
    const url = openedFileUrl(opened());
    expect(await resolvePhotoRequest(url, policy)).toEqual({
      ok: true,
      filePath: opened(),
      mimeType: 'image/png',
    });
    expect(await resolvePhotoRequest(url, { ...policy, openedFiles: [] })).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('refuses unlisted files, even inside the library', async () => {
    const url = openedFileUrl(path.join(base, 'library/pets/cat.jpg'));
    expect(await resolvePhotoRequest(url, policy)).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses traversal that would normalise onto a listed file', async () => {
    const url = `sightline-photo://file/?path=${encodeURIComponent(`${base}/outside/../outside/opened.png`)}`;
    expect(await resolvePhotoRequest(url, policy)).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses query tricks: relative paths, NUL, repeated or extra parameters', async () => {
    const listed = encodeURIComponent(opened());
    for (const url of [
      `sightline-photo://file/?path=${encodeURIComponent('outside/opened.png')}`,
      `sightline-photo://file/?path=${listed}%00.png`,
      `sightline-photo://file/?path=${listed}&path=${listed}`,
      `sightline-photo://file/?path=${listed}&x=1`,
      `sightline-photo://file/?other=${listed}`,
      `sightline-photo://file/extra?path=${listed}`,
      `sightline-photo://file/`,
    ]) {
      expect(await resolvePhotoRequest(url, policy), url).toMatchObject({ ok: false, status: 403 });
    }
  });
});

describe('parsePhotoUrl', () => {
  it('accepts the host form with and without the trailing slash of standard schemes', () => {
    const encoded = encodeURIComponent('/a/b.jpg');
    expect(parsePhotoUrl(`sightline-photo://file?path=${encoded}`)).toEqual({
      kind: 'file',
      filePath: '/a/b.jpg',
    });
    expect(parsePhotoUrl(`sightline-photo://file/?path=${encoded}`)).toEqual({
      kind: 'file',
      filePath: '/a/b.jpg',
    });
    expect(parsePhotoUrl('sightline-photo://THUMBNAIL/42')).toEqual({
      kind: 'thumbnail',
      id: '42',
    });
  });
});
