import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Paths and golden data shared by the image tests (not a test file itself). */
export const BLIP2_TINY = fileURLToPath(new URL('../../../fixtures/blip2-tiny/', import.meta.url));
export const PHOTOS = fileURLToPath(new URL('../../../fixtures/photos/', import.meta.url));

export interface GoldenImage {
  name: string;
  file: string;
  pil_mode: string;
  width: number;
  height: number;
  decoded_pixels_sha256: string;
  decoded_pixels_shape: number[];
  decoded_png?: string;
  resized_rgb_uint8: { file: string; shape: [number, number, number]; sha256: string };
  pixel_values: {
    shape: [number, number, number];
    sha256_float32_le: string;
    samples: { indices: [number, number, number][]; values: { data: number[] } };
  };
}

interface GoldenFile {
  preprocessing: { images: GoldenImage[] };
}

const golden = JSON.parse(readFileSync(`${BLIP2_TINY}golden.json`, 'utf8')) as GoldenFile;
export const goldenImages: GoldenImage[] = golden.preprocessing.images;

export function sha256(bytes: Uint8Array | Float32Array): string {
  return createHash('sha256')
    .update(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    .digest('hex');
}

/** The golden resized uint8 HWC image for one fixture image. */
export function goldenResized(img: GoldenImage): {
  width: number;
  height: number;
  data: Uint8Array;
} {
  const [height, width] = img.resized_rgb_uint8.shape;
  const data = new Uint8Array(readFileSync(`${BLIP2_TINY}${img.resized_rgb_uint8.file}`));
  return { width, height, data };
}
