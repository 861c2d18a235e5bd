import type { LibraryDatabase } from '../db/database.ts';
import { VISIBLE_PHOTO } from '../queries/photo-fields.ts';

export interface SearchFilters {
  /** ISO date or date-time, inclusive, compared with photos.taken_at (e.g. 2019, 2019-07, 2019-07-14). */
  from?: string;
  /** Inclusive at the given precision: `2019-07` keeps all of July. */
  to?: string;
  /** A folder: photos with a file in it or below it. */
  folder?: string;
  /** Exact tag (case-insensitive), from any source. */
  tag?: string;
  /** Case-insensitive substring of the camera make or model. */
  camera?: string;
  hasGps?: boolean;
}

export function hasFilters(filters: SearchFilters | undefined): filters is SearchFilters {
  return (
    filters !== undefined &&
    Object.values(filters).some((value) => value !== undefined && value !== '')
  );
}

/**
 * Ids of the visible photos that pass every filter, computed in SQL so the vector search can be
 * restricted to them (rather than searched blind and filtered after, which starves narrow filters).
 */
/**
 * SQL conditions on `photos p` (visible photos passing every filter) with their parameters; shared
 * by search and by the app's paged photo list so both read filters the same way.
 */
export function photoFilterConditions(filters: SearchFilters): {
  where: string[];
  params: (string | number)[];
} {
  const where = [VISIBLE_PHOTO];
  const params: (string | number)[] = [];
  if (filters.from) {
    // ISO strings order lexicographically, and a shorter bound is a prefix of the values it admits.
    where.push('p.taken_at >= ?');
    params.push(filters.from);
  }
  if (filters.to) {
    where.push('substr(p.taken_at, 1, length(?)) <= ?');
    params.push(filters.to, filters.to);
  }
  if (filters.folder) {
    const folder = filters.folder.replace(/[\\/]+$/, '');
    // substr comparisons instead of LIKE, so `%` and `_` in folder names need no escaping; the
    // separator check keeps /photos/2019 from matching /photos/2019-old.
    where.push(
      `EXISTS (SELECT 1 FROM files ff WHERE ff.photo_id = p.id AND ff.status != 'missing'
        AND (ff.path = ? OR (substr(ff.path, 1, length(?)) = ?
             AND substr(ff.path, length(?) + 1, 1) IN ('/', '\\'))))`,
    );
    params.push(folder, folder, folder, folder);
  }
  if (filters.tag) {
    where.push(
      'EXISTS (SELECT 1 FROM tags t WHERE t.photo_id = p.id AND t.tag = ? COLLATE NOCASE)',
    );
    params.push(filters.tag);
  }
  if (filters.camera) {
    where.push(
      `(instr(lower(coalesce(p.camera_make, '')), lower(?)) > 0
        OR instr(lower(coalesce(p.camera_model, '')), lower(?)) > 0)`,
    );
    params.push(filters.camera, filters.camera);
  }
  if (filters.hasGps !== undefined) {
    where.push(
      filters.hasGps
        ? '(p.gps_latitude IS NOT NULL AND p.gps_longitude IS NOT NULL)'
        : '(p.gps_latitude IS NULL OR p.gps_longitude IS NULL)',
    );
  }
  return { where, params };
}

export function filteredPhotoIds(db: LibraryDatabase, filters: SearchFilters): number[] {
  const { where, params } = photoFilterConditions(filters);
  return db
    .prepare<(string | number)[], { id: number }>(
      `SELECT p.id AS id FROM photos p WHERE ${where.join(' AND ')} ORDER BY p.id`,
    )
    .all(...params)
    .map((row) => row.id);
}

/** Which of the given photos are visible (have a file that is not 'missing'). */
export function visibilityCheck(db: LibraryDatabase): (photoId: number) => boolean {
  const statement = db.prepare<[number], { one: number }>(
    `SELECT 1 AS one FROM photos p WHERE p.id = ? AND ${VISIBLE_PHOTO}`,
  );
  return (photoId) => statement.get(photoId) !== undefined;
}
