import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPhotoMetadata } from '../../../../src-main/library/media/metadata.ts';
import { buildRawLikeTiff } from './synthetic-raw.ts';

const library = (p: string): string =>
  join(import.meta.dirname, '../../../fixtures/photos/library', p);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sightline-metadata-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readPhotoMetadata', () => {
  it('reads date, camera, GPS, keywords, description and upright size of an EXIF-rotated JPEG', async () => {
    const meta = await readPhotoMetadata(library('2019/holiday/building-rotated.jpg'));
    const stored = await sharp(library('2019/holiday/building-rotated.jpg')).metadata();
    expect(meta).toMatchObject({
      takenAt: '2019-07-14T16:32:05',
      cameraMake: 'Canon',
      cameraModel: 'Canon EOS 80D',
      orientation: 6,
      keywords: ['architecture', 'city'],
      description: 'old stone building',
      // Orientation 6 turns the stored landscape pixels upright: width and height swap.
      width: stored.height,
      height: stored.width,
      format: 'jpeg',
    });
    expect(meta.gpsLatitude).toBeCloseTo(48.8584, 6);
    expect(meta.gpsLongitude).toBeCloseTo(2.2945, 6);
  });

  it('gives nulls and no keywords for a photo without metadata', async () => {
    const meta = await readPhotoMetadata(library('misc/coffee.png'));
    const { width, height } = await sharp(library('misc/coffee.png')).metadata();
    expect(meta).toEqual({
      takenAt: null,
      cameraMake: null,
      cameraModel: null,
      gpsLatitude: null,
      gpsLongitude: null,
      orientation: null,
      keywords: [],
      description: null,
      width,
      height,
      format: 'png',
    });
  });

  it('reads camera fields that only XMP carries (tiff: namespace in a PNG)', async () => {
    const meta = await readPhotoMetadata(library('pets/chelsea.png'));
    expect(meta.cameraMake).toMatch(/\S/);
    expect(meta.cameraMake).toBe(meta.cameraMake?.trim());
  });

  it('reads EXIF from WebP (which exifr cannot parse itself) and sizes HEIC', async () => {
    const webp = await readPhotoMetadata(library('pets/chelsea.webp'));
    expect(webp.takenAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    const heic = await readPhotoMetadata(library('misc/astronaut.heic'));
    const png = await sharp(library('misc/astronaut.png')).metadata();
    expect([heic.width, heic.height, heic.format]).toEqual([png.width, png.height, 'heif']);
  });

  it('merges XMP dc:subject with IPTC keywords and reads XMP descriptions and dates', async () => {
    const xmp = [
      '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
      '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">',
      '<dc:subject><rdf:Bag><rdf:li>city</rdf:li><rdf:li>night</rdf:li><rdf:li>city</rdf:li></rdf:Bag></dc:subject>',
      '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">a café at night</rdf:li></rdf:Alt></dc:description>',
      '<photoshop:DateCreated>2020-01-02T03:04:05+01:00</photoshop:DateCreated>',
      '</rdf:Description></rdf:RDF></x:xmpmeta>',
    ].join('');
    const path = join(dir, 'xmp.jpg');
    await writeFile(
      path,
      await sharp({ create: { width: 8, height: 4, channels: 3, background: 'red' } })
        .withXmp(xmp)
        .jpeg()
        .toBuffer(),
    );
    const meta = await readPhotoMetadata(path);
    expect(meta).toMatchObject({
      keywords: ['city', 'night'],
      description: 'a café at night',
      takenAt: '2020-01-02T03:04:05',
      width: 8,
      height: 4,
    });
  });

  it('drops camera placeholder descriptions', async () => {
    const path = join(dir, 'placeholder.jpg');
    await writeFile(
      path,
      await sharp({ create: { width: 4, height: 4, channels: 3, background: 'blue' } })
        .withExif({ IFD0: { ImageDescription: 'OLYMPUS DIGITAL CAMERA         ' } })
        .jpeg()
        .toBuffer(),
    );
    expect((await readPhotoMetadata(path)).description).toBeNull();
  });

  it('sizes a RAW from its preview, upright', async () => {
    const preview = await sharp(library('pets/chelsea.png')).jpeg().toBuffer();
    const thumbnail = await sharp(library('pets/chelsea.png')).resize(64).jpeg().toBuffer();
    const path = join(dir, 'photo.nef');
    await writeFile(path, buildRawLikeTiff({ thumbnail, preview, orientation: 8 }));
    const { width, height } = await sharp(preview).metadata();
    const meta = await readPhotoMetadata(path);
    expect([meta.width, meta.height, meta.format, meta.orientation]).toEqual([
      height,
      width,
      'raw',
      8,
    ]);
  });

  it('rejects a file that cannot be read', async () => {
    await expect(readPhotoMetadata(join(dir, 'missing.jpg'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});
