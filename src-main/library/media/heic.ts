import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { ImageDecodeError } from '../../engine/image/decode-error.ts';
import type { RgbImage } from '../../engine/image/rgb-image.ts';

/** The part of heic-decode (untyped CommonJS) used here. */
interface HeicImageHandle {
  /** Size after the HEIF transformations (irot/imir/clap), which libheif applies when decoding. */
  width: number;
  height: number;
  decode(): Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
}
interface HeicDecode {
  all(input: { buffer: Uint8Array }): Promise<HeicImageHandle[] & { dispose(): void }>;
}

const heicDecode = createRequire(import.meta.url)('heic-decode') as HeicDecode;

/**
 * Decode a HEIC/HEIF (HEVC) file with libheif compiled to WebAssembly: sharp's libvips ships
 * without an HEVC decoder. The first top-level image is the one heic-decode (and phones) treat as
 * the main picture; its size is checked against `maxPixels` before any pixel is decoded. Alpha is
 * dropped, not composited, matching Pillow's `convert('RGB')` in the engine's decoder.
 */
export async function decodeHeic(path: string, maxPixels: number): Promise<RgbImage> {
  const buffer = await readFile(path);
  let images: HeicImageHandle[] & { dispose(): void };
  try {
    images = await heicDecode.all({ buffer });
  } catch (error) {
    const notHeic = error instanceof TypeError;
    const reason = notHeic ? 'unsupported-format' : 'corrupt';
    throw new ImageDecodeError(path, reason, `HEIF: ${errorText(error)}`, { cause: error });
  }
  try {
    const main = images[0];
    if (!main) throw new ImageDecodeError(path, 'corrupt', 'HEIF file holds no image');
    const pixels = main.width * main.height;
    if (pixels > maxPixels) {
      const size = `${main.width}x${main.height} = ${pixels}`;
      throw new ImageDecodeError(path, 'too-many-pixels', `${size} > limit of ${maxPixels} pixels`);
    }
    const { width, height, data } = await main.decode();
    return { width, height, data: dropAlpha(data, width * height) };
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw new ImageDecodeError(path, 'corrupt', `HEIF: ${errorText(error)}`, { cause: error });
  } finally {
    images.dispose();
  }
}

function dropAlpha(rgba: Uint8ClampedArray, pixels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    rgb[i * 3] = rgba[i * 4]!;
    rgb[i * 3 + 1] = rgba[i * 4 + 1]!;
    rgb[i * 3 + 2] = rgba[i * 4 + 2]!;
  }
  return rgb;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
