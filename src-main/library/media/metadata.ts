import { readFile } from 'node:fs/promises';
import exifr from 'exifr';
import sharp from 'sharp';
import { isRawPath } from './decode.ts';
import { findRawPreview } from './raw-preview.ts';

export interface PhotoMetadata {
  /** ISO 8601 local time as the camera wrote it (no time zone), e.g. `2019-07-14T16:32:05`. */
  takenAt: string | null;
  cameraMake: string | null;
  cameraModel: string | null;
  gpsLatitude: number | null;
  gpsLongitude: number | null;
  /** EXIF orientation tag (1-8) as stored; `width`/`height` already account for it. */
  orientation: number | null;
  /** IPTC Keywords and XMP dc:subject, deduplicated, in file order. */
  keywords: string[];
  description: string | null;
  /** Upright size (after orientation). */
  width: number | null;
  height: number | null;
  /** Container format as sharp names it (`jpeg`, `heif`, `png` ...), or `raw` for camera RAW. */
  format: string | null;
}

/** exifr output with `mergeOutput: false`: one object per block, XMP grouped by namespace. */
type TagBlock = Record<string, unknown>;
type ParsedTags = Partial<
  Record<'ifd0' | 'exif' | 'gps' | 'iptc' | 'dc' | 'photoshop' | 'xmp', TagBlock>
>;

const EXIFR_OPTIONS = {
  tiff: true,
  ifd1: false,
  exif: true,
  gps: true,
  iptc: true,
  xmp: true,
  icc: false,
  mergeOutput: false,
  // Raw values: dates as written (reviving would reinterpret them in this machine's time zone)
  // and numeric orientation.
  reviveValues: false,
  translateValues: false,
};

/** Placeholders cameras write into ImageDescription; they describe nothing. */
const PLACEHOLDER_DESCRIPTIONS = new Set([
  'olympus digital camera',
  'sony dsc',
  'digital camera',
  'konica minolta digital camera',
  'minolta digital camera',
  'default',
  'image',
]);

/**
 * Date, camera, GPS, orientation, keywords and description (EXIF, IPTC, XMP) plus the upright
 * size. Missing or unreadable metadata gives nulls, never an error: a photo without EXIF is still a
 * photo. Throws only when the file itself cannot be read.
 */
export async function readPhotoMetadata(path: string): Promise<PhotoMetadata> {
  const raw = isRawPath(path);
  const file = await readFile(path);
  const tags = await readTags(file);
  const size = raw ? rawPreviewSize(file) : await sharpSize(file);

  const ifd0 = tags.ifd0 ?? {};
  const exif = tags.exif ?? {};
  const orientation = integerIn(ifd0.Orientation, 1, 8);
  return {
    takenAt:
      exifDate(exif.DateTimeOriginal) ??
      exifDate(exif.CreateDate) ??
      xmpDate(tags.photoshop?.DateCreated) ??
      xmpDate(tags.xmp?.CreateDate),
    cameraMake: text(ifd0.Make),
    cameraModel: text(ifd0.Model),
    gpsLatitude: coordinate(tags.gps?.latitude, 90),
    gpsLongitude: coordinate(tags.gps?.longitude, 180),
    orientation,
    keywords: dedupe([...texts(tags.iptc?.Keywords), ...texts(tags.dc?.subject)]),
    description:
      description(ifd0.ImageDescription) ??
      description(tags.dc?.description) ??
      description(tags.iptc?.Caption),
    width: size?.width ?? null,
    height: size?.height ?? null,
    format: size?.format ?? (raw ? 'raw' : null),
  };
}

async function readTags(file: Buffer): Promise<ParsedTags> {
  try {
    const parsed = (await exifr.parse(file, EXIFR_OPTIONS)) as ParsedTags | undefined;
    if (parsed) return parsed;
  } catch {
    // exifr does not know WebP (and a few others); sharp extracts their EXIF block below.
  }
  try {
    const { exif } = await sharp(file).metadata();
    if (!exif) return {};
    return ((await exifr.parse(exif, EXIFR_OPTIONS)) as ParsedTags | undefined) ?? {};
  } catch {
    return {};
  }
}

async function sharpSize(
  file: Buffer,
): Promise<{ width: number; height: number; format: string } | undefined> {
  try {
    const meta = await sharp(file, { limitInputPixels: false }).metadata();
    return { ...meta.autoOrient, format: meta.format };
  } catch {
    return undefined;
  }
}

function rawPreviewSize(
  file: Buffer,
): { width: number; height: number; format: string } | undefined {
  const found = findRawPreview(file);
  if (!found.ok) return undefined;
  const { width, height, orientation } = found.preview;
  const swap = orientation >= 5;
  return { width: swap ? height : width, height: swap ? width : height, format: 'raw' };
}

/** `2019:07:14 16:32:05` → `2019-07-14T16:32:05`; all-zero or malformed dates → null. */
function exifDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(value.trim());
  if (!m || m[1] === '0000' || m[2] === '00') return null;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}`;
}

/** XMP dates are ISO 8601, possibly with a zone offset or only a date; keep the local part. */
function xmpDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const full = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?/.exec(value.trim());
  if (full) return `${full[1]}T${full[2]}${full[3] ?? ':00'}`;
  return /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? value.trim() : null;
}

function text(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  // EXIF ASCII fields are often NUL- or space-padded to a fixed length.
  const trimmed = value.replace(/\0+$/, '').trim();
  return trimmed === '' ? null : trimmed;
}

/** A string, a list of strings, or XMP language alternatives (`{ lang, value }`), as strings. */
function texts(value: unknown): string[] {
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  return items
    .map((item) =>
      typeof item === 'object' && item !== null && 'value' in item ? item.value : item,
    )
    .map((item) => (typeof item === 'number' ? String(item) : text(item)))
    .filter((item): item is string => item !== null);
}

function description(value: unknown): string | null {
  const first = texts(value)[0];
  return first === undefined || PLACEHOLDER_DESCRIPTIONS.has(first.toLowerCase()) ? null : first;
}

function dedupe(values: string[]): string[] {
  return [...new Set(values)];
}

function integerIn(value: unknown, min: number, max: number): number | null {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
    ? value
    : null;
}

function coordinate(value: unknown, limit: number): number | null {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= limit
    ? value
    : null;
}
