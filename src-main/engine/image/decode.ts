import { stat } from 'node:fs/promises';
import sharp from 'sharp';
import { ImageDecodeError } from './decode-error.ts';
import type { ImageDecodeReason } from './decode-error.ts';
import type { RgbImage } from './rgb-image.ts';

export type { RgbImage } from './rgb-image.ts';
export { ImageDecodeError } from './decode-error.ts';
export type { ImageDecodeReason } from './decode-error.ts';

/** Default pixel-bomb guard: larger images are refused from their header, before decoding. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface DecodeOptions {
  /** Refuse images with more than this many pixels (width x height). */
  maxPixels?: number;
}

/**
 * Decode an image file or buffer to 8-bit RGB the way BLIP's Pillow preprocessing sees it:
 * EXIF orientation applied, first frame only, `Image.convert("RGB")` semantics (alpha dropped, not
 * composited; grey replicated; palette expanded; 16-bit reduced to the high byte) and embedded ICC
 * profiles ignored, as Pillow ignores them. Every failure becomes an `ImageDecodeError`.
 */
export async function decodeImageToRgb(
  input: string | Buffer,
  opts: DecodeOptions = {},
): Promise<RgbImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const source = typeof input === 'string' ? input : '<buffer>';
  await assertReadableInput(input, source);

  try {
    const { data, info } = await sharp(input, {
      // 'error' rejects truncated/broken data but, like Pillow, tolerates libjpeg warnings such as
      // "extraneous bytes before marker" ('warning' would reject photos Pillow decodes fine).
      failOn: 'error',
      limitInputPixels: maxPixels,
      ignoreIcc: true,
      autoOrient: true,
      page: 0,
      pages: 1,
    })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return toRgb(data, info.width, info.height, info.channels);
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw await classifySharpError(error, input, source, maxPixels);
  }
}

async function assertReadableInput(input: string | Buffer, source: string): Promise<void> {
  if (typeof input !== 'string') {
    if (input.length === 0) throw new ImageDecodeError(source, 'empty', '');
    return;
  }
  let size: number;
  try {
    const st = await stat(input);
    if (!st.isFile()) throw new ImageDecodeError(source, 'not-a-file', '');
    size = st.size;
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason: ImageDecodeReason = code === 'ENOENT' ? 'not-found' : 'unreadable';
    throw new ImageDecodeError(source, reason, code ?? String(error), { cause: error });
  }
  if (size === 0) throw new ImageDecodeError(source, 'empty', '');
}

/** Channel layouts sharp returns after `toColourspace('srgb')`: drop alpha, replicate grey. */
function toRgb(raw: Buffer, width: number, height: number, channels: number): RgbImage {
  const pixels = width * height;
  if (channels === 3) {
    return { width, height, data: new Uint8Array(raw.buffer, raw.byteOffset, pixels * 3) };
  }
  const out = new Uint8Array(pixels * 3);
  const grey = channels <= 2;
  for (let i = 0; i < pixels; i++) {
    const s = i * channels;
    const o = i * 3;
    out[o] = raw[s] ?? 0;
    out[o + 1] = raw[grey ? s : s + 1] ?? 0;
    out[o + 2] = raw[grey ? s : s + 2] ?? 0;
  }
  return { width, height, data: out };
}

async function classifySharpError(
  error: unknown,
  input: string | Buffer,
  source: string,
  maxPixels: number,
): Promise<ImageDecodeError> {
  const message = error instanceof Error ? error.message : String(error);
  // libvips repeats lines and prefixes them with the path; keep the last, most specific line.
  const lines = message.split('\n').filter((line) => line.trim() !== '');
  const lastLine = (lines[lines.length - 1] ?? message).replace(`${source}: `, '');
  const make = (reason: ImageDecodeReason, detail: string): ImageDecodeError =>
    new ImageDecodeError(source, reason, detail, { cause: error });

  if (/exceeds pixel limit/i.test(message)) {
    return make('too-many-pixels', `${await headerSize(input)} > limit of ${maxPixels} pixels`);
  }
  if (/missing/i.test(message)) return make('not-found', lastLine);
  if (/unsupported image format/i.test(message)) return make('unsupported-format', lastLine);
  if (/HEVC|compression format has not been built in|unsupported codec/i.test(message)) {
    return make('unsupported-codec', lastLine);
  }
  if (/premature end|truncated|unexpected end/i.test(message)) return make('truncated', lastLine);
  return make('corrupt', lastLine);
}

/** `WxH pixels` from the header only (cheap even for a pixel bomb). */
async function headerSize(input: string | Buffer): Promise<string> {
  try {
    const { width, height } = await sharp(input, { limitInputPixels: false }).metadata();
    return `${width}x${height} = ${width * height}`;
  } catch {
    return 'size unknown';
  }
}
