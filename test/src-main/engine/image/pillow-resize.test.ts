import { describe, expect, it } from 'vitest';
import { decodeImageToRgb } from '../../../../src-main/engine/image/decode.ts';
import { resizeBicubicPillow } from '../../../../src-main/engine/image/pillow-resize.ts';
import type { RgbImage } from '../../../../src-main/engine/image/rgb-image.ts';
import { BLIP2_TINY, goldenImages, goldenResized, sha256 } from './fixtures.ts';

/** Pillow's own decode of each image: the lossless PNG copy for JPEGs, else the file itself. */
async function pillowDecoded(img: (typeof goldenImages)[number]): Promise<RgbImage> {
  return decodeImageToRgb(`${BLIP2_TINY}${img.decoded_png ?? img.file}`);
}

function countDiffs(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('resizeBicubicPillow', () => {
  it.each(goldenImages.map((img) => [img.name, img] as const))(
    'reproduces Pillow BICUBIC byte for byte: %s',
    async (_name, img) => {
      const expected = goldenResized(img);
      const input = await pillowDecoded(img);
      const out = resizeBicubicPillow(input, expected.width, expected.height);
      expect([out.width, out.height]).toEqual([expected.width, expected.height]);
      expect(countDiffs(out.data, expected.data)).toBe(0);
      expect(sha256(out.data)).toBe(img.resized_rgb_uint8.sha256);
    },
  );

  it('covers both upscaling and downscaling axes in the fixtures', () => {
    const sizes = goldenImages.map((img) => ({ src: img, dst: goldenResized(img) }));
    expect(sizes.some(({ src, dst }) => src.width < dst.width || src.height < dst.height)).toBe(
      true,
    );
    expect(sizes.some(({ src, dst }) => src.width > dst.width || src.height > dst.height)).toBe(
      true,
    );
  });

  it('returns an equal copy when the size does not change', async () => {
    const input = await pillowDecoded(goldenImages[0]!);
    const out = resizeBicubicPillow(input, input.width, input.height);
    expect(out.data).not.toBe(input.data);
    expect(countDiffs(out.data, input.data)).toBe(0);
  });

  it('keeps a flat image flat whatever the scale (coefficients sum to one)', () => {
    const flat: RgbImage = { width: 37, height: 23, data: new Uint8Array(37 * 23 * 3) };
    for (let i = 0; i < flat.data.length; i += 3) flat.data.set([0, 128, 255], i);
    for (const [w, h] of [
      [224, 224],
      [5, 3],
      [37, 91],
      [11, 23],
      [1, 1],
    ] as const) {
      const out = resizeBicubicPillow(flat, w, h);
      const expected = new Uint8Array(out.data.length);
      for (let i = 0; i < expected.length; i += 3) expected.set([0, 128, 255], i);
      expect(countDiffs(out.data, expected), `${w}x${h}`).toBe(0);
    }
  });

  it('resizes one axis only when the other keeps its size', async () => {
    const input = await pillowDecoded(goldenImages[0]!);
    const both = resizeBicubicPillow(input, 100, 70);
    const widthOnly = resizeBicubicPillow(input, 100, input.height);
    const thenHeight = resizeBicubicPillow(widthOnly, 100, 70);
    // Pillow's separable passes: horizontal then vertical, with a uint8 intermediate.
    expect(countDiffs(both.data, thenHeight.data)).toBe(0);
  });

  it('rejects invalid sizes and buffers', () => {
    const img: RgbImage = { width: 2, height: 2, data: new Uint8Array(12) };
    expect(() => resizeBicubicPillow(img, 0, 4)).toThrow(RangeError);
    expect(() => resizeBicubicPillow(img, 2.5, 4)).toThrow(RangeError);
    expect(() => resizeBicubicPillow({ ...img, data: new Uint8Array(11) }, 4, 4)).toThrow(
      RangeError,
    );
  });
});
