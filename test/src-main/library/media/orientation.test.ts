import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../../../src-main/engine/image/rgb-image.ts';
import { orientRgb } from '../../../../src-main/library/media/orientation.ts';

async function rgb(image: Sharp): Promise<RgbImage> {
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data) };
}

describe('orientRgb', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'orientation %i matches libvips auto-orientation',
    async (o) => {
      // A non-square gradient: every flip and rotation gives different pixels.
      const width = 7;
      const height = 4;
      const pixels = Buffer.alloc(width * height * 3);
      for (let i = 0; i < width * height; i++)
        pixels.set([i * 9, 255 - i * 9, (i * 37) % 256], i * 3);
      const png = await sharp(pixels, { raw: { width, height, channels: 3 } })
        .png()
        .withMetadata({ orientation: o })
        .toBuffer();
      const stored = await rgb(sharp(png));
      const upright = await rgb(sharp(png, { autoOrient: true }));
      expect(orientRgb(stored, o)).toEqual(upright);
    },
  );

  it('leaves unknown orientations alone', () => {
    const img = { width: 1, height: 1, data: new Uint8Array([1, 2, 3]) };
    expect(orientRgb(img, 0)).toBe(img);
    expect(orientRgb(img, 9)).toBe(img);
  });
});
