import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';

/**
 * Builds a synthetic library of about `target` files from the test photos. JPEG and PNG copies are
 * made unique without re-encoding (bytes after a JPEG's EOI marker, a PNG tEXt chunk), so every
 * copy is a distinct photo to the content-hash dedupe and costs a real decode and model run, as
 * in a real library; other formats are copied once.
 */
export function buildBenchLibrary(source: string, target: string, count: number): number {
  const files = listImages(source);
  let written = 0;
  for (let copy = 0; written < count; copy++) {
    for (const file of files) {
      if (written >= count) break;
      const ext = extname(file).toLowerCase();
      const unique = ext === '.jpg' || ext === '.jpeg' || ext === '.png';
      if (copy > 0 && !unique) continue;
      const dest = join(target, `copy-${String(copy).padStart(3, '0')}`, relative(source, file));
      mkdirSync(join(dest, '..'), { recursive: true });
      if (copy === 0) copyFileSync(file, dest);
      else
        writeFileSync(
          dest,
          ext === '.png'
            ? withPngText(readFileSync(file), `copy ${copy}`)
            : Buffer.concat([readFileSync(file), Buffer.from(`sightline-bench-copy-${copy}`)]),
        );
      written++;
    }
    if (copy > 10_000) throw new Error('no JPEG or PNG to replicate');
  }
  return written;
}

function listImages(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listImages(full));
    else if (/\.(jpe?g|png|webp|avif|tiff?|heic|gif)$/i.test(entry.name)) out.push(full);
  }
  return out.sort();
}

/** Inserts a tEXt chunk before IEND (valid PNG, pixels unchanged). */
function withPngText(png: Buffer, text: string): Buffer {
  const iend = png.lastIndexOf(Buffer.from('IEND', 'latin1')) - 4;
  const body = Buffer.from(`Comment\0${text}`, 'latin1');
  const chunk = Buffer.alloc(12 + body.length);
  chunk.writeUInt32BE(body.length, 0);
  chunk.write('tEXt', 4, 'latin1');
  body.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + body.length)), 8 + body.length);
  return Buffer.concat([png.subarray(0, iend), chunk, png.subarray(iend)]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
