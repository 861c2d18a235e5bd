import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImageToRgb } from '../../../../src-main/engine/image/decode.ts';
import type { RgbImage } from '../../../../src-main/engine/image/rgb-image.ts';
import { ImageDecodeError, decodePhoto } from '../../../../src-main/library/media/decode.ts';
import { buildRaf, buildRawLikeTiff, losslessJpegStub, buildTiff } from './synthetic-raw.ts';

const PHOTOS = join(import.meta.dirname, '../../../fixtures/photos');
const library = (p: string): string => join(PHOTOS, 'library', p);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sightline-decode-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Exact pixel equality, compared as bytes (deep equality on big typed arrays is slow). */
function expectSameImage(actual: RgbImage, expected: RgbImage): void {
  expect([actual.width, actual.height]).toEqual([expected.width, expected.height]);
  expect(Buffer.from(actual.data).equals(Buffer.from(expected.data))).toBe(true);
}

function meanAbsDiff(a: RgbImage, b: RgbImage): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / a.data.length;
}

async function decodeError(path: string, maxPixels?: number): Promise<ImageDecodeError> {
  const error: unknown = await decodePhoto(path, maxPixels ? { maxPixels } : {}).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageDecodeError);
  return error as ImageDecodeError;
}

/** Pixels of a JPEG rotated 90° clockwise by sharp, the reference for orientation 6. */
async function rotatedClockwise(jpeg: Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(jpeg, { ignoreIcc: true })
    .rotate(90)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

describe('decodePhoto: formats', () => {
  it('decodes HEIC (HEVC) like the PNG of the same picture', async () => {
    const heic = await decodePhoto(library('misc/astronaut.heic'));
    const png = await decodeImageToRgb(library('misc/astronaut.png'));
    expect(meanAbsDiff(heic, png)).toBeLessThan(6);
  });

  it('decodes AVIF, TIFF and WebP like their PNG/JPEG twins', async () => {
    const coffee = await decodePhoto(library('misc/coffee.avif'));
    expect(meanAbsDiff(coffee, await decodeImageToRgb(library('misc/coffee.png')))).toBeLessThan(6);
    const fruits = await decodePhoto(library('misc/fruits.tiff'));
    expect(meanAbsDiff(fruits, await decodeImageToRgb(library('misc/fruits.jpg')))).toBeLessThan(6);
    const webp = await decodePhoto(library('pets/chelsea.webp'));
    expect(meanAbsDiff(webp, await decodeImageToRgb(library('pets/chelsea.png')))).toBeLessThan(6);
  });

  it('returns the upright image for EXIF-rotated JPEGs', async () => {
    const rotated = await decodePhoto(library('2019/holiday/building-rotated.jpg'));
    const plain = await decodePhoto(library('2019/holiday/building.jpg'));
    expect([rotated.width, rotated.height]).toEqual([plain.height, plain.width]);
  });

  it('refuses a HEIC over the pixel limit before decoding it', async () => {
    const { width, height } = await sharp(library('misc/astronaut.heic')).metadata();
    const error = await decodeError(library('misc/astronaut.heic'), width * height - 1);
    expect(error.reason).toBe('too-many-pixels');
    expect(error.detail).toContain(`${width}x${height}`);
  });
});

describe('decodePhoto: bad files', () => {
  it.each([
    ['empty.jpg', 'empty'],
    ['not-an-image.jpg', 'unsupported-format'],
    ['truncated.jpg', 'truncated'],
    ['cut-in-half.jpg', 'truncated'],
    ['pixel-bomb.png', 'too-many-pixels'],
  ])('%s fails with %s', async (name, reason) => {
    const error = await decodeError(join(PHOTOS, 'bad', name));
    expect(error.reason).toBe(reason);
    expect(error.source).toBe(join(PHOTOS, 'bad', name));
  });

  it('reports a missing file', async () => {
    expect((await decodeError(join(dir, 'missing.heic'))).reason).toBe('not-found');
    expect((await decodeError(join(dir, 'missing.nef'))).reason).toBe('not-found');
  });

  it('reports a HEIF container it cannot read as corrupt', async () => {
    const heic = await readFile(library('misc/astronaut.heic'));
    const path = join(dir, 'broken.heic');
    await writeFile(path, heic.subarray(0, 400));
    expect((await decodeError(path)).reason).toMatch(/^(corrupt|truncated)$/);
  });
});

describe('decodePhoto: RAW previews', () => {
  let preview: Buffer;
  let thumbnail: Buffer;
  beforeAll(async () => {
    preview = await sharp(library('pets/chelsea.png')).jpeg({ quality: 90 }).toBuffer();
    thumbnail = await sharp(library('pets/chelsea.png')).resize(80).jpeg().toBuffer();
  });

  it.each([
    ['little-endian NEF', 'photo.nef', true],
    ['big-endian DNG', 'photo.DNG', false],
  ])('%s: decodes the largest decodable preview, upright', async (_, name, littleEndian) => {
    const path = join(dir, name);
    await writeFile(path, buildRawLikeTiff({ thumbnail, preview, orientation: 6, littleEndian }));
    const decoded = await decodePhoto(path);
    expectSameImage(decoded, await rotatedClockwise(preview));
  });

  it('decodes a Fujifilm RAF preview', async () => {
    const path = join(dir, 'photo.raf');
    await writeFile(path, buildRaf(preview));
    expectSameImage(await decodePhoto(path), await decodeImageToRgb(preview));
  });

  it('refuses a preview over the pixel limit from its JPEG header', async () => {
    const path = join(dir, 'limit.nef');
    await writeFile(path, buildRawLikeTiff({ thumbnail, preview, orientation: 1 }));
    const { width, height } = await sharp(preview).metadata();
    const error = await decodeError(path, width * height - 1);
    expect(error.reason).toBe('too-many-pixels');
  });

  it('fails clearly when there is no usable preview or the variant is unsupported', async () => {
    const sensorOnly = join(dir, 'sensor-only.dng');
    const stub = losslessJpegStub(6000, 4000);
    const ifd = [
      { tag: 0x103, type: 3 as const, values: [7] },
      { tag: 0x111, type: 4 as const, values: [{ blob: 0 }] },
      { tag: 0x117, type: 4 as const, values: [stub.length] },
    ];
    await writeFile(sensorOnly, buildTiff([ifd], [stub]));
    const noPreview = await decodeError(sensorOnly);
    expect(noPreview.reason).toBe('corrupt');
    expect(noPreview.detail).toMatch(/no embedded JPEG preview/);

    const cr3 = join(dir, 'photo.cr3');
    await writeFile(
      cr3,
      Buffer.concat([Buffer.from('\0\0\0\x18ftypcrx \0\0\0\x01', 'latin1'), Buffer.alloc(64)]),
    );
    const unsupported = await decodeError(cr3);
    expect(unsupported.reason).toBe('unsupported-format');
    expect(unsupported.detail).toMatch(/unsupported RAW variant/);

    const text = join(dir, 'notes.arw');
    await writeFile(text, 'not a raw file at all');
    expect((await decodeError(text)).reason).toBe('unsupported-format');
  });
});
