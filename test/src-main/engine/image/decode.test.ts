import { readdirSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImageToRgb, ImageDecodeError } from '../../../../src-main/engine/image/decode.ts';
import type { ImageDecodeReason } from '../../../../src-main/engine/image/decode.ts';
import type { RgbImage } from '../../../../src-main/engine/image/rgb-image.ts';
import { BLIP2_TINY, goldenImages, PHOTOS, sha256 } from './fixtures.ts';

const byName = (name: string) => {
  const img = goldenImages.find((g) => g.name === name);
  if (!img) throw new Error(`golden image ${name} missing`);
  return img;
};

/** Channel `c` of every pixel, as a plane. */
function channelPlane(img: RgbImage, c: number): Uint8Array {
  const out = new Uint8Array(img.width * img.height);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i * 3 + c] ?? 0;
  return out;
}

/** Mean |a - rotate(b)| where `sourceIndex` maps an output pixel of `a` to a pixel of `b`. */
function meanAbsDiff(a: RgbImage, b: RgbImage, sourceIndex: (x: number, y: number) => number) {
  let sum = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const s = sourceIndex(x, y) * 3;
      const o = (y * a.width + x) * 3;
      for (let c = 0; c < 3; c++) sum += Math.abs((a.data[o + c] ?? 0) - (b.data[s + c] ?? 0));
    }
  }
  return sum / a.data.length;
}

describe('decodeImageToRgb on the golden images', () => {
  it('decodes the JPEG exactly as Pillow (libjpeg-turbo) does', async () => {
    const golden = byName('img0_rgb');
    const img = await decodeImageToRgb(`${BLIP2_TINY}${golden.file}`);
    expect([img.height, img.width, 3]).toEqual(golden.decoded_pixels_shape);
    expect(sha256(img.data)).toBe(golden.decoded_pixels_sha256);
    const pillowCopy = await decodeImageToRgb(`${BLIP2_TINY}${golden.decoded_png}`);
    expect(Buffer.compare(img.data, pillowCopy.data)).toBe(0);
  });

  it('drops alpha without compositing (RGBA PNG)', async () => {
    const golden = byName('img1_rgba');
    const rgba = await sharp(`${BLIP2_TINY}${golden.file}`).raw().toBuffer();
    // The golden hash is of Pillow's RGBA array: check the reference bytes first.
    expect(sha256(rgba)).toBe(golden.decoded_pixels_sha256);

    const img = await decodeImageToRgb(`${BLIP2_TINY}${golden.file}`);
    expect([img.height, img.width, 4]).toEqual(golden.decoded_pixels_shape);
    const rgbOfRgba = new Uint8Array(img.width * img.height * 3);
    let transparentNonWhite = 0;
    for (let i = 0; i < img.width * img.height; i++) {
      rgbOfRgba.set(rgba.subarray(i * 4, i * 4 + 3), i * 3);
      const isWhite = rgba[i * 4] === 255 && rgba[i * 4 + 1] === 255 && rgba[i * 4 + 2] === 255;
      if (rgba[i * 4 + 3] === 0 && !isWhite) transparentNonWhite++;
    }
    // The fixture has fully transparent pixels whose colour is not white: compositing would show.
    expect(transparentNonWhite).toBeGreaterThan(0);
    expect(Buffer.compare(img.data, rgbOfRgba)).toBe(0);
  });

  it('expands grayscale to R=G=B', async () => {
    const golden = byName('img2_gray');
    const img = await decodeImageToRgb(`${BLIP2_TINY}${golden.file}`);
    expect([img.height, img.width]).toEqual(golden.decoded_pixels_shape);
    const red = channelPlane(img, 0);
    expect(sha256(red)).toBe(golden.decoded_pixels_sha256);
    expect(Buffer.compare(channelPlane(img, 1), red)).toBe(0);
    expect(Buffer.compare(channelPlane(img, 2), red)).toBe(0);
  });

  it('accepts a Buffer as well as a path', async () => {
    const golden = byName('img1_rgba');
    const fromPath = await decodeImageToRgb(`${BLIP2_TINY}${golden.file}`);
    const bytes = await sharp(`${BLIP2_TINY}${golden.file}`).png().toBuffer();
    const fromBuffer = await decodeImageToRgb(bytes);
    expect(Buffer.compare(fromBuffer.data, fromPath.data)).toBe(0);
  });
});

describe('decodeImageToRgb orientation and formats', () => {
  it('applies EXIF orientation 6 (90° clockwise)', async () => {
    const dir = `${PHOTOS}library/2019/holiday/`;
    const upright = await decodeImageToRgb(`${dir}building.jpg`);
    const rotated = await decodeImageToRgb(`${dir}building-rotated.jpg`);
    expect([rotated.width, rotated.height]).toEqual([upright.height, upright.width]);

    const { width, height } = upright;
    const clockwise = meanAbsDiff(rotated, upright, (x, y) => (height - 1 - x) * width + y);
    const counterClockwise = meanAbsDiff(rotated, upright, (x, y) => x * width + (width - 1 - y));
    // The rotated file is a re-encoded JPEG: equal up to compression noise (measured ~0.8 levels).
    expect(clockwise).toBeLessThan(2);
    expect(counterClockwise).toBeGreaterThan(clockwise * 5);
  });

  it('takes the first frame of an animated GIF and WebP', async () => {
    const frame = { width: 2, height: 2 };
    const frames = Buffer.alloc(frame.width * frame.height * 3 * 4);
    for (let f = 0; f < 3; f++) {
      for (let p = 0; p < 4; p++) frames.set([20 + 100 * f, 40, 60, 255], (f * 4 + p) * 4);
    }
    const raw = { width: 2, height: 6, channels: 4 as const, pageHeight: 2 };
    for (const encoded of [
      await sharp(frames, { raw }).gif({ loop: 0 }).toBuffer(),
      await sharp(frames, { raw }).webp({ lossless: true, loop: 0 }).toBuffer(),
    ]) {
      expect((await sharp(encoded).metadata()).pages).toBe(3);
      const img = await decodeImageToRgb(encoded);
      expect([img.width, img.height]).toEqual([frame.width, frame.height]);
      expect(channelPlane(img, 0).every((v) => Math.abs(v - 20) <= 2)).toBe(true);
    }
  });

  it('reduces 16-bit PNG samples to their high byte, as Pillow does for RGB', async () => {
    const samples = new Uint16Array([0x0000, 0x12ff, 0x8000, 0xffff, 0x00ff, 0x7f80]);
    const png = await sharp(samples, { raw: { width: 2, height: 1, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(png).metadata()).depth).toBe('ushort');
    const img = await decodeImageToRgb(png);
    expect([...img.data]).toEqual([...samples].map((v) => v >> 8));
  });

  it('uses palette colours and drops palette transparency', async () => {
    const rgba = Buffer.from([200, 10, 30, 255, 5, 250, 60, 255, 90, 90, 240, 255, 0, 0, 0, 255]);
    const png = await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } })
      .png({ palette: true, colours: 4, dither: 0 })
      .toBuffer();
    expect((await sharp(png).metadata()).isPalette).toBe(true);
    const img = await decodeImageToRgb(png);
    const expected = [0, 1, 2, 3].flatMap((i) => [...rgba.subarray(i * 4, i * 4 + 3)]);
    expect([...img.data]).toEqual(expected);
  });

  it('converts CMYK JPEGs to RGB', async () => {
    const rgb = Buffer.from([230, 20, 20, 20, 200, 20, 250, 250, 250, 10, 10, 10]);
    const cmyk = await sharp(rgb, { raw: { width: 2, height: 2, channels: 3 } })
      .toColourspace('cmyk')
      .jpeg({ quality: 100 })
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const img = await decodeImageToRgb(cmyk);
    expect(img.data.length).toBe(12);
    // Colour-managed round trip: the dominant channel survives, white stays light, black dark.
    expect(img.data[0]).toBeGreaterThan(150);
    expect(img.data[4]).toBeGreaterThan(150);
    expect(Math.min(...img.data.subarray(6, 9))).toBeGreaterThan(200);
    expect(Math.max(...img.data.subarray(9, 12))).toBeLessThan(60);
  });
});

describe('decodeImageToRgb failures', () => {
  const bad = `${PHOTOS}bad/`;
  const expectedReason: Record<string, ImageDecodeReason> = {
    'cut-in-half.jpg': 'truncated',
    'empty.jpg': 'empty',
    'not-an-image.jpg': 'unsupported-format',
    'pixel-bomb.png': 'too-many-pixels',
    'truncated.jpg': 'truncated',
  };

  it('knows every file in photos/bad', () => {
    expect(readdirSync(bad).sort()).toEqual(Object.keys(expectedReason).sort());
  });

  it.each(Object.entries(expectedReason))('rejects %s (%s)', async (file, reason) => {
    const error = await decodeImageToRgb(`${bad}${file}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageDecodeError);
    const decodeError = error as ImageDecodeError;
    expect(decodeError.reason).toBe(reason);
    expect(decodeError.message).toContain(`${bad}${file}`);
    expect(decodeError.message.length).toBeGreaterThan(
      `Cannot decode image ${bad}${file}: `.length,
    );
  });

  it('refuses the pixel bomb from its header, without decoding it', async () => {
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const error = await decodeImageToRgb(`${bad}pixel-bomb.png`).catch((e: unknown) => e);
    const elapsedMs = performance.now() - started;
    expect((error as ImageDecodeError).message).toMatch(/too many pixels.*30000x30000/);
    // A full decode would need 30000 * 30000 * 3 bytes = 2.7 GB and several seconds.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(500 * 1024 * 1024);
    expect(elapsedMs).toBeLessThan(2000);
  });

  it('honours a custom maxPixels', async () => {
    const path = `${BLIP2_TINY}${byName('img0_rgb').file}`;
    const error = await decodeImageToRgb(path, { maxPixels: 1000 }).catch((e: unknown) => e);
    expect((error as ImageDecodeError).reason).toBe('too-many-pixels');
    await expect(decodeImageToRgb(path, { maxPixels: 320 * 240 })).resolves.toBeDefined();
  });

  it('reports a missing file, a directory and an empty buffer', async () => {
    const reasonOf = async (input: string | Buffer) =>
      ((await decodeImageToRgb(input).catch((e: unknown) => e)) as ImageDecodeError).reason;
    expect(await reasonOf(`${bad}does-not-exist.jpg`)).toBe('not-found');
    expect(await reasonOf(bad)).toBe('not-a-file');
    expect(await reasonOf(Buffer.alloc(0))).toBe('empty');
  });

  it('names HEVC-coded HEIC as an unsupported codec (no HEVC decoder in sharp)', async () => {
    const path = `${PHOTOS}library/misc/astronaut.heic`;
    const error = await decodeImageToRgb(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as ImageDecodeError).reason).toBe('unsupported-codec');
    expect((error as ImageDecodeError).message).toContain(path);
  });
});
