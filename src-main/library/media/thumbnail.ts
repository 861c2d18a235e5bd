import { randomBytes } from 'node:crypto';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { RgbImage } from '../../engine/image/rgb-image.ts';

export const DEFAULT_THUMBNAIL_SIZE = 512;
const JPEG_QUALITY = 82;

/** `<cacheDir>/<hash[0..2]>/<hash>.jpg`: 256 buckets keep folders small for big libraries. */
export function thumbnailPath(cacheDir: string, contentHash: string): string {
  return join(cacheDir, contentHash.slice(0, 2), `${contentHash}.jpg`);
}

/**
 * Write a JPEG thumbnail of an (already upright) image, longest side at most `size`, keyed by
 * content hash so duplicates share it. Written to a temporary name and renamed, so a crash never
 * leaves a half-written thumbnail under the final name; an existing thumbnail is kept.
 */
export async function writeThumbnail(
  image: RgbImage,
  cacheDir: string,
  contentHash: string,
  size = DEFAULT_THUMBNAIL_SIZE,
): Promise<string> {
  const target = thumbnailPath(cacheDir, contentHash);
  if (await exists(target)) return target;
  await mkdir(join(target, '..'), { recursive: true });

  const jpeg = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    .jpeg({ quality: JPEG_QUALITY, mozjpeg: false })
    .toBuffer();

  const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, jpeg);
    await rename(temp, target); // atomic on one file system; a concurrent writer wrote the same bytes
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return target;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
