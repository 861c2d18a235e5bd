import sharp from 'sharp';

/**
 * A difference hash (dHash) of a picture: shrunk to 9×8 grey pixels, each bit says whether a
 * pixel is brighter than its right neighbour. Copies of one picture in another format, size or
 * compression land a few bits apart; different pictures about half the bits apart. It is
 * computed from the library's thumbnails, which are already decoded (HEIC, RAW…), upright and
 * opaque, so every format is hashed the same way.
 */
export async function differenceHash(image: string | Buffer): Promise<bigint> {
  const grey = await sharp(image)
    .flatten({ background: '#ffffff' })
    .grayscale()
    .resize(9, 8, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer();
  let hash = 0n;
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const bit = grey[y * 9 + x]! > grey[y * 9 + x + 1]! ? 1n : 0n;
      hash = (hash << 1n) | bit;
    }
  }
  return hash;
}

export function hammingDistance(a: bigint, b: bigint): number {
  let diff = a ^ b;
  let bits = 0;
  while (diff > 0n) {
    bits += Number(diff & 1n);
    diff >>= 1n;
  }
  return bits;
}
