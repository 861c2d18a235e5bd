import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePhoto } from '../../../../src-main/library/media/decode.ts';
import { writeThumbnail } from '../../../../src-main/library/media/thumbnail.ts';

const library = (p: string): string =>
  join(import.meta.dirname, '../../../fixtures/photos/library', p);
const HASH = 'ab'.padEnd(64, '0');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sightline-thumbs-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeThumbnail', () => {
  it('writes an upright JPEG, longest side at most the size, under <hash[0..2]>/<hash>.jpg', async () => {
    const image = await decodePhoto(library('2019/holiday/building-rotated.jpg'));
    const path = await writeThumbnail(image, dir, HASH, 128);
    expect(path).toBe(join(dir, 'ab', `${HASH}.jpg`));
    const meta = await sharp(path).metadata();
    expect(meta.format).toBe('jpeg');
    expect(Math.max(meta.width, meta.height)).toBe(128);
    // Same aspect (within rounding) and orientation as the upright image.
    expect(meta.width / meta.height).toBeCloseTo(image.width / image.height, 1);
    expect(meta.orientation).toBeUndefined();
    expect((await readdir(join(dir, 'ab'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('never enlarges a small image', async () => {
    const image = await decodePhoto(library('misc/one-pixel.png'));
    const path = await writeThumbnail(image, dir, 'cd'.padEnd(64, '1'));
    const meta = await sharp(path).metadata();
    expect([meta.width, meta.height]).toEqual([1, 1]);
  });

  it('keeps an existing thumbnail', async () => {
    const hash = 'ef'.padEnd(64, '2');
    await writeFile(join(await mkdirFor(hash), `${hash}.jpg`), 'existing');
    const image = await decodePhoto(library('misc/one-pixel.png'));
    const path = await writeThumbnail(image, dir, hash);
    expect(await readFile(path, 'utf8')).toBe('existing');
  });
});

async function mkdirFor(hash: string): Promise<string> {
  const folder = join(dir, hash.slice(0, 2));
  await (await import('node:fs/promises')).mkdir(folder, { recursive: true });
  return folder;
}
