import type { LibraryDatabase } from '../db/database.ts';

/**
 * SQL shared by every read: what counts as a photo in results, which of its files to show and
 * which caption wins. Kept in one place so search, export and status never disagree.
 */

/** A photo is visible while at least one of its files is still on disk (not 'missing'). */
export const VISIBLE_PHOTO = `EXISTS (SELECT 1 FROM files vf WHERE vf.photo_id = p.id AND vf.status != 'missing')`;

/** The one path shown for a photo: an indexed file over a pending/error one, then the shortest. */
const PREFERRED_PATH = `
SELECT path FROM files
WHERE photo_id = ? AND status != 'missing'
ORDER BY status != 'indexed', length(path), path
LIMIT 1`;

/** The user's caption wins over any model caption; among model captions the newest. */
const BEST_CAPTION = `
SELECT text FROM captions
WHERE photo_id = ?
ORDER BY source = 'user' DESC, created_at DESC, id DESC
LIMIT 1`;

export interface PhotoDisplay {
  path: string;
  caption: string;
}

/** Display fields for the given photos; photos without a visible file are left out. */
export function photoDisplay(
  db: LibraryDatabase,
  photoIds: readonly number[],
): Map<number, PhotoDisplay> {
  const pathStatement = db.prepare<[number], { path: string }>(PREFERRED_PATH);
  const captionStatement = db.prepare<[number], { text: string }>(BEST_CAPTION);
  const result = new Map<number, PhotoDisplay>();
  for (const id of photoIds) {
    const path = pathStatement.get(id)?.path;
    if (path === undefined) continue;
    result.set(id, { path, caption: captionStatement.get(id)?.text ?? '' });
  }
  return result;
}

/** Photo id → all its visible file paths, preferred path first. */
export function photoPaths(db: LibraryDatabase): Map<number, string[]> {
  const rows = db
    .prepare<[], { photoId: number; path: string }>(
      `SELECT photo_id AS photoId, path FROM files
       WHERE photo_id IS NOT NULL AND status != 'missing'
       ORDER BY photo_id, status != 'indexed', length(path), path`,
    )
    .all();
  const paths = new Map<number, string[]>();
  for (const row of rows) {
    const list = paths.get(row.photoId);
    if (list) list.push(row.path);
    else paths.set(row.photoId, [row.path]);
  }
  return paths;
}
