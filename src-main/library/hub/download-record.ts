import { existsSync, readFileSync, statSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** Written into a download folder once every file is in place and verified. */
export const DOWNLOAD_RECORD_FILE = 'sightline-download.json';

export const downloadRecordSchema = z.object({
  format: z.literal('sightline-download'),
  formatVersion: z.literal(1),
  repoId: z.string(),
  /** The commit the files came from. */
  revision: z.string(),
  /** What was asked for (a branch such as `main`, or the commit itself). */
  requestedRevision: z.string(),
  endpoint: z.string().nullable(),
  files: z.array(
    z.object({
      path: z.string(),
      size: z.number().int().nonnegative(),
      /** Verified sha256 (LFS files), or the Hub cache blob name it was linked from; null: size-checked only. */
      sha256: z.string().nullable(),
      source: z.enum(['hub', 'hf-cache']),
    }),
  ),
  completedAt: z.string(),
});
export type DownloadRecord = z.infer<typeof downloadRecordSchema>;

export function readDownloadRecord(dir: string): DownloadRecord | null {
  const path = join(dir, DOWNLOAD_RECORD_FILE);
  if (!existsSync(path)) return null;
  try {
    const parsed = downloadRecordSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** True when every recorded file is still there with its recorded size. */
export function recordStillValid(dir: string, record: DownloadRecord): boolean {
  return record.files.every(
    (f) => statSync(join(dir, f.path), { throwIfNoEntry: false })?.size === f.size,
  );
}

export async function writeDownloadRecord(dir: string, record: DownloadRecord): Promise<void> {
  const path = join(dir, DOWNLOAD_RECORD_FILE);
  await writeFile(`${path}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}
