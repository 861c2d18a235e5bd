/**
 * Embedded JPEG previews of camera RAW files. Decoding sensor data (demosaicing, white balance,
 * camera colour matrices) is a project of its own; every camera also stores a full-size or large
 * JPEG rendered in-camera, which is what a photo library needs for captions and thumbnails.
 *
 * Supported: TIFF-based RAWs (CR2, NEF, ARW, DNG, ORF, PEF, RW2 ...) whose IFDs point at JPEG data
 * via JPEGInterchangeFormat/Length or single-strip compression 6/7, and Fujifilm RAF (fixed header
 * offsets). Canon CR3 (ISO-BMFF) is not supported yet.
 */

export interface RawPreview {
  /** The JPEG stream, a view into the file buffer. */
  jpeg: Buffer;
  width: number;
  height: number;
  /** EXIF orientation of the RAW (IFD0), which applies to its previews; 1 when unknown. */
  orientation: number;
}

export type RawPreviewResult =
  { ok: true; preview: RawPreview } | { ok: false; unsupported: boolean; detail: string };

const TAG_COMPRESSION = 0x103;
const TAG_STRIP_OFFSETS = 0x111;
const TAG_ORIENTATION = 0x112;
const TAG_STRIP_BYTE_COUNTS = 0x117;
const TAG_SUB_IFDS = 0x14a;
const TAG_JPEG_OFFSET = 0x201;
const TAG_JPEG_LENGTH = 0x202;
const TAG_EXIF_IFD = 0x8769;

/** TIFF magic numbers: standard 42, Olympus ORF 'RO'/'RS', Panasonic RW2 0x55. */
const TIFF_MAGICS = new Set([42, 0x4f52, 0x5352, 0x55]);
const MAX_IFDS = 64;

/** Find the largest embedded JPEG preview that an ordinary JPEG decoder can read. */
export function findRawPreview(file: Buffer): RawPreviewResult {
  if (file.length >= 12 && file.toString('latin1', 4, 8) === 'ftyp') {
    const brand = file.toString('latin1', 8, 12);
    return {
      ok: false,
      unsupported: true,
      detail: `unsupported RAW variant (ISO-BMFF brand '${brand.trim()}', e.g. Canon CR3)`,
    };
  }
  if (file.toString('latin1', 0, 16) === 'FUJIFILMCCD-RAW ') return fujiPreview(file);
  const tiff = readTiffHeader(file);
  if (!tiff) return { ok: false, unsupported: true, detail: 'not a TIFF-based RAW file' };

  const { candidates, orientation } = collectTiffCandidates(file, tiff);
  const previews = candidates
    .map((c) => jpegAt(file, c.offset, c.length))
    .filter((p) => p !== undefined)
    .sort((a, b) => b.width * b.height - a.width * a.height);
  const best = previews[0];
  if (!best) return { ok: false, unsupported: false, detail: 'no embedded JPEG preview found' };
  return { ok: true, preview: { ...best, orientation } };
}

interface TiffReader {
  littleEndian: boolean;
  firstIfd: number;
}

function readTiffHeader(file: Buffer): TiffReader | undefined {
  if (file.length < 8) return undefined;
  const order = file.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const littleEndian = order === 'II';
  const magic = littleEndian ? file.readUInt16LE(2) : file.readUInt16BE(2);
  if (!TIFF_MAGICS.has(magic)) return undefined;
  return { littleEndian, firstIfd: littleEndian ? file.readUInt32LE(4) : file.readUInt32BE(4) };
}

/** Walk IFD0, its chain, SubIFDs and the EXIF IFD; collect every pointer to compressed data. */
function collectTiffCandidates(
  file: Buffer,
  tiff: TiffReader,
): { candidates: { offset: number; length: number }[]; orientation: number } {
  const u16 = (at: number): number =>
    tiff.littleEndian ? file.readUInt16LE(at) : file.readUInt16BE(at);
  const u32 = (at: number): number =>
    tiff.littleEndian ? file.readUInt32LE(at) : file.readUInt32BE(at);

  const candidates: { offset: number; length: number }[] = [];
  let orientation = 1;
  const seen = new Set<number>();
  const queue = [tiff.firstIfd];
  let isIfd0 = true;

  while (queue.length > 0 && seen.size < MAX_IFDS) {
    const ifd = queue.shift()!;
    if (ifd === 0 || seen.has(ifd) || ifd + 2 > file.length) continue;
    seen.add(ifd);
    const count = u16(ifd);
    if (ifd + 2 + count * 12 + 4 > file.length) continue;
    const tags = new Map<number, number[]>();
    for (let i = 0; i < count; i++) {
      const entry = ifd + 2 + i * 12;
      const values = readIntegerValues(file, entry, u16, u32);
      if (values) tags.set(u16(entry), values);
    }
    if (isIfd0) orientation = tags.get(TAG_ORIENTATION)?.[0] ?? 1;
    isIfd0 = false;

    const jpegOffset = tags.get(TAG_JPEG_OFFSET)?.[0];
    const jpegLength = tags.get(TAG_JPEG_LENGTH)?.[0];
    if (jpegOffset !== undefined && jpegLength !== undefined) {
      candidates.push({ offset: jpegOffset, length: jpegLength });
    }
    const compression = tags.get(TAG_COMPRESSION)?.[0];
    const strips = tags.get(TAG_STRIP_OFFSETS);
    const stripLengths = tags.get(TAG_STRIP_BYTE_COUNTS);
    if ((compression === 6 || compression === 7) && strips?.length === 1 && stripLengths) {
      candidates.push({ offset: strips[0]!, length: stripLengths[0]! });
    }
    queue.push(...(tags.get(TAG_SUB_IFDS) ?? []), ...(tags.get(TAG_EXIF_IFD) ?? []));
    queue.push(u32(ifd + 2 + count * 12));
  }
  return { candidates, orientation: orientation >= 1 && orientation <= 8 ? orientation : 1 };
}

/** SHORT, LONG and IFD values of one IFD entry (other types are never offsets or lengths). */
function readIntegerValues(
  file: Buffer,
  entry: number,
  u16: (at: number) => number,
  u32: (at: number) => number,
): number[] | undefined {
  const type = u16(entry + 2);
  const count = u32(entry + 4);
  const size = type === 3 ? 2 : type === 4 || type === 13 ? 4 : 0;
  if (size === 0 || count === 0 || count > 4096) return undefined;
  const start = count * size <= 4 ? entry + 8 : u32(entry + 8);
  if (start + count * size > file.length) return undefined;
  return Array.from({ length: count }, (_, i) =>
    size === 2 ? u16(start + i * 2) : u32(start + i * 4),
  );
}

function fujiPreview(file: Buffer): RawPreviewResult {
  if (file.length < 92) return { ok: false, unsupported: false, detail: 'RAF header truncated' };
  const preview = jpegAt(file, file.readUInt32BE(84), file.readUInt32BE(88));
  if (!preview) return { ok: false, unsupported: false, detail: 'no embedded JPEG preview found' };
  // RAF previews are complete JPEG files carrying their own EXIF orientation.
  return { ok: true, preview: { ...preview, orientation: 1 } };
}

/**
 * A JPEG at [offset, offset+length) with its frame size, if its frame is baseline, extended or
 * progressive: DNG and CR2 also keep the sensor data as lossless JPEG (SOF3), which is not a
 * picture an ordinary decoder can show.
 */
function jpegAt(
  file: Buffer,
  offset: number,
  length: number,
): { jpeg: Buffer; width: number; height: number } | undefined {
  if (length < 4 || offset + length > file.length) return undefined;
  if (file[offset] !== 0xff || file[offset + 1] !== 0xd8) return undefined;
  const end = offset + length;
  let at = offset + 2;
  while (at + 4 <= end) {
    if (file[at] !== 0xff) return undefined;
    const marker = file[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    const segmentLength = file.readUInt16BE(at + 2);
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      if (![0xc0, 0xc1, 0xc2].includes(marker) || at + 9 > end) return undefined;
      const height = file.readUInt16BE(at + 5);
      const width = file.readUInt16BE(at + 7);
      if (width === 0 || height === 0) return undefined;
      return { jpeg: file.subarray(offset, end), width, height };
    }
    if (marker === 0xda) return undefined; // scan data before any frame header
    at += 2 + segmentLength;
  }
  return undefined;
}
