/**
 * Builders for RAW-like test files (no real camera RAW is small enough to ship): TIFF structures
 * laid out the way CR2/NEF/ARW/DNG store their previews, and a Fujifilm RAF header.
 */

export interface TiffEntry {
  tag: number;
  /** 3 = SHORT, 4 = LONG. */
  type: 3 | 4;
  /** Numbers, or `{ blob }` for an offset to be filled with the position of that data. */
  values: (number | { blob: number } | { ifd: number })[];
}

/** IFD 0 is the first; `{ ifd: n }` values point at IFD n; `{ blob: n }` at blobs[n]. */
export function buildTiff(ifds: TiffEntry[][], blobs: Buffer[], littleEndian = true): Buffer {
  const ifdSize = (entries: TiffEntry[]): number => 2 + entries.length * 12 + 4;
  const valueSize = (e: TiffEntry): number => e.values.length * (e.type === 3 ? 2 : 4);
  let at = 8;
  const ifdOffsets = ifds.map((entries) => {
    const offset = at;
    at += ifdSize(entries);
    return offset;
  });
  const extraOffsets = new Map<TiffEntry, number>();
  for (const entry of ifds.flat()) {
    if (valueSize(entry) > 4) {
      extraOffsets.set(entry, at);
      at += valueSize(entry);
    }
  }
  const blobOffsets = blobs.map((blob) => {
    const offset = at;
    at += blob.length;
    return offset;
  });

  const out = Buffer.alloc(at);
  const u16 = (v: number, pos: number): number =>
    littleEndian ? out.writeUInt16LE(v, pos) : out.writeUInt16BE(v, pos);
  const u32 = (v: number, pos: number): number =>
    littleEndian ? out.writeUInt32LE(v, pos) : out.writeUInt32BE(v, pos);
  out.write(littleEndian ? 'II' : 'MM', 0, 'latin1');
  u16(42, 2);
  u32(ifdOffsets[0]!, 4);
  const resolve = (v: TiffEntry['values'][number]): number =>
    typeof v === 'number' ? v : 'blob' in v ? blobOffsets[v.blob]! : ifdOffsets[v.ifd]!;

  ifds.forEach((entries, i) => {
    const base = ifdOffsets[i]!;
    u16(entries.length, base);
    [...entries]
      .sort((a, b) => a.tag - b.tag)
      .forEach((entry, j) => {
        const pos = base + 2 + j * 12;
        u16(entry.tag, pos);
        u16(entry.type, pos + 2);
        u32(entry.values.length, pos + 4);
        const valuesAt = extraOffsets.get(entry) ?? pos + 8;
        if (extraOffsets.has(entry)) u32(valuesAt, pos + 8);
        entry.values.forEach((v, k) => {
          if (entry.type === 3) u16(resolve(v), valuesAt + k * 2);
          else u32(resolve(v), valuesAt + k * 4);
        });
      });
    u32(0, base + 2 + entries.length * 12); // no next IFD
  });
  blobs.forEach((blob, i) => blob.copy(out, blobOffsets[i]));
  return out;
}

/** The start of a lossless-JPEG (SOF3) stream as DNG/CR2 use for sensor data. */
export function losslessJpegStub(width: number, height: number): Buffer {
  const sof3 = Buffer.from([0xff, 0xc3, 0x00, 0x0b, 0x0c, 0, 0, 0, 0, 0x01, 0x01, 0x11, 0x00]);
  sof3.writeUInt16BE(height, 5);
  sof3.writeUInt16BE(width, 7);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    sof3,
    Buffer.alloc(64),
    Buffer.from([0xff, 0xd9]),
  ]);
}

/**
 * A NEF/DNG-like file: IFD0 holds a small strip thumbnail (compression 6) and the orientation,
 * SubIFD 1 the large preview (JPEGInterchangeFormat), SubIFD 2 "sensor data" as lossless JPEG
 * (larger than any preview, and not decodable as a picture).
 */
export function buildRawLikeTiff(opts: {
  thumbnail: Buffer;
  preview: Buffer;
  orientation: number;
  littleEndian?: boolean;
}): Buffer {
  const ifd0: TiffEntry[] = [
    { tag: 0x103, type: 3, values: [6] },
    { tag: 0x111, type: 4, values: [{ blob: 0 }] },
    { tag: 0x112, type: 3, values: [opts.orientation] },
    { tag: 0x117, type: 4, values: [opts.thumbnail.length] },
    { tag: 0x14a, type: 4, values: [{ ifd: 1 }, { ifd: 2 }] },
  ];
  const previewIfd: TiffEntry[] = [
    { tag: 0x103, type: 3, values: [6] },
    { tag: 0x201, type: 4, values: [{ blob: 1 }] },
    { tag: 0x202, type: 4, values: [opts.preview.length] },
  ];
  const sensor = losslessJpegStub(6000, 4000);
  const sensorIfd: TiffEntry[] = [
    { tag: 0x103, type: 3, values: [7] },
    { tag: 0x111, type: 4, values: [{ blob: 2 }] },
    { tag: 0x117, type: 4, values: [sensor.length] },
  ];
  return buildTiff(
    [ifd0, previewIfd, sensorIfd],
    [opts.thumbnail, opts.preview, sensor],
    opts.littleEndian ?? true,
  );
}

/** A Fujifilm RAF: magic, then the preview JPEG's offset and length at bytes 84 and 88. */
export function buildRaf(preview: Buffer): Buffer {
  const header = Buffer.alloc(100);
  header.write('FUJIFILMCCD-RAW 0201FF383501', 0, 'latin1');
  header.writeUInt32BE(header.length, 84);
  header.writeUInt32BE(preview.length, 88);
  return Buffer.concat([header, preview]);
}
