import { open, readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import sharp from 'sharp';
import { DEFAULT_MAX_PIXELS, decodeImageToRgb } from '../../engine/image/decode.ts';
import { ImageDecodeError } from '../../engine/image/decode-error.ts';
import type { RgbImage } from '../../engine/image/rgb-image.ts';
import { decodeHeic } from './heic.ts';
import { orientRgb } from './orientation.ts';
import { RAW_EXTENSIONS } from './photo-formats.ts';
import { findRawPreview } from './raw-preview.ts';

export { ImageDecodeError } from '../../engine/image/decode-error.ts';
export { DEFAULT_MAX_PIXELS } from '../../engine/image/decode.ts';

export interface DecodePhotoOptions {
  /** Pixel-bomb guard, checked from headers before decoding (default 100 MP). */
  maxPixels?: number;
}

const RAW_EXTENSION_SET = new Set<string>(RAW_EXTENSIONS.map((ext) => `.${ext}`));

export function isRawPath(path: string): boolean {
  return RAW_EXTENSION_SET.has(extname(path).toLowerCase());
}

/**
 * Decode any supported photo to upright 8-bit RGB: sharp formats through the engine's decoder,
 * HEVC-coded HEIC/HEIF through libheif (WebAssembly), camera RAW through its embedded JPEG
 * preview. Every failure is an `ImageDecodeError` naming the file and the reason.
 */
export async function decodePhoto(path: string, opts: DecodePhotoOptions = {}): Promise<RgbImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  // A RAW file is a TIFF to sharp, which would decode its small IFD0 thumbnail or sensor data.
  if (isRawPath(path)) return decodeRawPreview(path, maxPixels);
  // HEVC HEIF goes straight to libheif: sharp would only fail, and deciding that from its error
  // message is unreliable when several threads decode at once (libvips' error buffer is shared).
  const container = await isoBmffKind(path);
  if (container === 'hevc') return decodeHeic(path, maxPixels);
  try {
    return await decodeImageToRgb(path, { maxPixels });
  } catch (error) {
    const sharpCannot =
      error instanceof ImageDecodeError &&
      (error.reason === 'unsupported-codec' || error.reason === 'unsupported-format');
    if (sharpCannot && container === 'other') return decodeHeic(path, maxPixels);
    throw error;
  }
}

const HEVC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);

/**
 * ISO-BMFF files (HEIF, AVIF, CR3) start with an `ftyp` box listing brands. `hevc`: HEVC-coded
 * HEIF; `other`: another ISO-BMFF (AVIF goes to sharp); `none`: not ISO-BMFF or unreadable (the
 * engine's decoder then reports why).
 */
async function isoBmffKind(path: string): Promise<'hevc' | 'other' | 'none'> {
  let head: Buffer;
  try {
    const file = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(64);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch {
    return 'none';
  }
  if (head.length < 16 || head.toString('latin1', 4, 8) !== 'ftyp') return 'none';
  const boxEnd = Math.min(head.readUInt32BE(0), head.length);
  const brands = [head.toString('latin1', 8, 12)];
  for (let at = 16; at + 4 <= boxEnd; at += 4) brands.push(head.toString('latin1', at, at + 4));
  if (brands.some((b) => b === 'avif' || b === 'avis')) return 'other';
  return brands.some((b) => HEVC_BRANDS.has(b)) ? 'hevc' : 'other';
}

async function decodeRawPreview(path: string, maxPixels: number): Promise<RgbImage> {
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch {
    // Let the engine's decoder classify missing / unreadable / not-a-file the usual way.
    return decodeImageToRgb(path, { maxPixels });
  }
  if (file.length === 0) throw new ImageDecodeError(path, 'empty', '');
  const found = findRawPreview(file);
  if (!found.ok) {
    throw new ImageDecodeError(
      path,
      found.unsupported ? 'unsupported-format' : 'corrupt',
      found.detail,
    );
  }
  const { jpeg, width, height, orientation } = found.preview;
  if (width * height > maxPixels) {
    const size = `embedded preview ${width}x${height} = ${width * height}`;
    throw new ImageDecodeError(path, 'too-many-pixels', `${size} > limit of ${maxPixels} pixels`);
  }
  try {
    // A preview with its own EXIF orientation is oriented by the decoder; otherwise the RAW's
    // IFD0 orientation applies to it.
    const ownOrientation = (await sharp(jpeg).metadata()).orientation;
    const image = await decodeImageToRgb(jpeg, { maxPixels });
    return ownOrientation === undefined ? orientRgb(image, orientation) : image;
  } catch (error) {
    if (!(error instanceof ImageDecodeError)) {
      const detail = `embedded preview: ${error instanceof Error ? error.message : String(error)}`;
      throw new ImageDecodeError(path, 'corrupt', detail, { cause: error });
    }
    throw new ImageDecodeError(path, error.reason, `embedded preview: ${error.detail}`, {
      cause: error,
    });
  }
}
