import type { RgbImage } from '../../engine/image/rgb-image.ts';

/**
 * Apply an EXIF orientation (1-8) to decoded pixels, giving the upright image. Used where the
 * decoder cannot (a RAW file's orientation lives in the RAW's IFD0, not in its embedded preview).
 */
export function orientRgb(img: RgbImage, orientation: number): RgbImage {
  if (orientation < 2 || orientation > 8) return img;
  const { width: w, height: h } = img;
  const swaps = orientation >= 5;
  const outW = swaps ? h : w;
  const outH = swaps ? w : h;
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const [sx, sy] = sourcePixel(orientation, x, y, w, h);
      const s = (sy * w + sx) * 3;
      const o = (y * outW + x) * 3;
      out[o] = img.data[s]!;
      out[o + 1] = img.data[s + 1]!;
      out[o + 2] = img.data[s + 2]!;
    }
  }
  return { width: outW, height: outH, data: out };
}

/** Where upright pixel (x, y) comes from in the stored image (w x h), per the EXIF spec. */
function sourcePixel(
  orientation: number,
  x: number,
  y: number,
  w: number,
  h: number,
): [number, number] {
  switch (orientation) {
    case 2: // mirrored horizontally
      return [w - 1 - x, y];
    case 3: // rotated 180
      return [w - 1 - x, h - 1 - y];
    case 4: // mirrored vertically
      return [x, h - 1 - y];
    case 5: // transposed
      return [y, x];
    case 6: // shown rotated 90 clockwise
      return [y, h - 1 - x];
    case 7: // transversed
      return [w - 1 - y, h - 1 - x];
    default: // 8: shown rotated 90 counter-clockwise
      return [w - 1 - y, x];
  }
}
