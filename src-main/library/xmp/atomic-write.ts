// Replaces a small file so that readers see either the old or the new content, never a torn
// write: temp file in the same folder (same filesystem, so rename is atomic) + fsync + rename.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SidecarError } from './sidecar-error.ts';

/**
 * Writes `content` to `path`. `expected` is what the caller based its edit on (null: the file did
 * not exist); if the file no longer matches just before the rename, nothing is replaced. This
 * narrows, but cannot close, the window for a concurrent writer (e.g. darktable saving at the
 * same moment): there is no portable compare-and-swap rename.
 */
export async function writeFileAtomic(
  path: string,
  content: string,
  expected: Buffer | null,
): Promise<void> {
  // Keep an existing sidecar's permissions; a new one gets the usual 0666 minus umask.
  const existingMode = expected === null ? null : (await stat(path)).mode & 0o777;
  const tempPath = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tempPath, 'wx');
  try {
    try {
      if (existingMode !== null) await handle.chmod(existingMode);
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (!sameContent(await readIfExists(path), expected)) {
      throw new SidecarError(
        'concurrent-modification',
        path,
        'the sidecar changed while it was being updated',
      );
    }
    await rename(tempPath, path);
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dirname(path));
}

export async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function sameContent(a: Buffer | null, b: Buffer | null): boolean {
  return a === null || b === null ? a === b : a.equals(b);
}

// Makes the rename itself durable. Directories cannot be opened for fsync on Windows, and a
// failure here does not undo the (already atomic) replacement, so it is best effort.
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort only.
  }
}
