import { basename } from 'node:path';
import type { Manifest } from '../../native-models/manifest.ts';
import type { LibraryDatabase } from './db/database.ts';

/**
 * Identifies the model a stored result came from: Hub repo + revision when known, otherwise the
 * converted folder and its conversion time (a local re-conversion is treated as a new model, the
 * safe direction: results are recomputed rather than mixed). A precision other than fp32 is part
 * of the model: int8 image embeddings are not fp32 ones, so changing the search model's precision
 * re-embeds the library instead of mixing vectors (fp32 keeps the key it always had).
 */
export function modelKey(manifest: Manifest): string {
  const repo = manifest.source.repoId ?? `local/${basename(manifest.source.dir)}`;
  const revision = manifest.source.revision ?? manifest.createdAt;
  const precision = manifest.precision === 'fp32' ? '' : `#${manifest.precision}`;
  return `${repo}@${revision}${precision}`;
}

export function registerModel(
  db: LibraryDatabase,
  role: 'caption' | 'search',
  dir: string,
  manifest: Manifest,
): string {
  const key = modelKey(manifest);
  db.prepare(
    `INSERT INTO models (model_key, role, dir, repo_id, revision, vision_fingerprint, registered_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (model_key) DO UPDATE SET role = excluded.role, dir = excluded.dir`,
  ).run(
    key,
    role,
    dir,
    manifest.source.repoId,
    manifest.source.revision,
    manifest.visionFingerprint,
    Date.now(),
  );
  return key;
}
