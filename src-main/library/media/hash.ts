import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface FileHash {
  /** Lowercase hex SHA-256 of the bytes: a photo's identity in the library. */
  sha256: string;
  size: number;
}

/** Stream the file through SHA-256 (constant memory for any size); opens it read-only. */
export async function hashFile(path: string): Promise<FileHash> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { flags: 'r', highWaterMark: 1 << 20 })) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    size += bytes.length;
  }
  return { sha256: hash.digest('hex'), size };
}
