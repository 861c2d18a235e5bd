import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LibraryDatabase } from '../library/db/database.ts';
import { VISIBLE_PHOTO, photoDisplay } from '../library/queries/photo-fields.ts';
import { photoFilterConditions } from '../library/search/filters.ts';
import { AppError } from '../shared/app-error.ts';
import type {
  FolderCount,
  LibraryRoot,
  ListPhotosRequest,
  PhotoDetails,
  PhotoPage,
  TagSource,
} from '../shared/app-schemas.ts';
import { photoUrl, type PhotoFileKind } from '../shared/photo-urls.ts';
import { contentTypeOf } from './content-types.ts';

/** Read-side queries the app needs beyond `library/queries` (paging, one photo's details). */

export function listRoots(db: LibraryDatabase): LibraryRoot[] {
  return db
    .prepare<[], LibraryRoot>(
      `SELECT r.id AS rootId, r.path AS path, r.added_at AS addedAt,
              (SELECT count(*) FROM files f WHERE f.root_id = r.id AND f.status != 'missing') AS files
       FROM roots r ORDER BY r.path`,
    )
    .all();
}

/** Duplicate stacks as the grid applies them: members left out, and each cell's copy count. */
export interface GridStacks {
  hidden: readonly number[];
  sizeOf: (photoId: number) => number | undefined;
}

/** One page of the grid, newest first; the total lets the grid size its scroll range. */
export function listPhotos(
  db: LibraryDatabase,
  request: ListPhotosRequest,
  urlPrefix: string,
  stacks: GridStacks | null = null,
): PhotoPage {
  const filters = photoFilterConditions(request.filters ?? {});
  const where = [...filters.where];
  const params: (string | number)[] = [...filters.params];
  if (stacks !== null && stacks.hidden.length > 0) {
    where.push('p.id NOT IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(stacks.hidden));
  }
  const condition = where.join(' AND ');
  const total = db
    .prepare<(string | number)[], { n: number }>(
      `SELECT count(*) AS n FROM photos p WHERE ${condition}`,
    )
    .get(...params)!.n;
  const rows = db
    .prepare<(string | number)[], { id: number; takenAt: string | null }>(
      `SELECT p.id AS id, p.taken_at AS takenAt FROM photos p WHERE ${condition}
       ORDER BY p.taken_at IS NULL, p.taken_at DESC, p.id DESC
       LIMIT ? OFFSET ?`,
    )
    .all(...params, request.limit, request.offset);
  const display = photoDisplay(
    db,
    rows.map((r) => r.id),
  );
  return {
    total,
    offset: request.offset,
    photos: rows.flatMap((row) => {
      const shown = display.get(row.id);
      return shown
        ? [
            {
              photoId: row.id,
              path: shown.path,
              thumbnailUrl: photoUrl(urlPrefix, 'thumbnail', row.id),
              caption: shown.caption,
              takenAt: row.takenAt,
              ...stackSizeOf(stacks, row.id),
            },
          ]
        : [];
    }),
  };
}

function stackSizeOf(stacks: GridStacks | null, photoId: number): { stackSize?: number } {
  const size = stacks?.sizeOf(photoId);
  return size === undefined ? {} : { stackSize: size };
}

interface PhotoRow {
  format: string | null;
  width: number | null;
  height: number | null;
  orientation: number | null;
  takenAt: string | null;
  cameraMake: string | null;
  cameraModel: string | null;
  gpsLatitude: number | null;
  gpsLongitude: number | null;
  keywords: string;
  description: string | null;
  byteSize: number;
}

export function getPhoto(db: LibraryDatabase, photoId: number, urlPrefix: string): PhotoDetails {
  const row = db
    .prepare<[number], PhotoRow>(
      `SELECT format, width, height, orientation, taken_at AS takenAt, camera_make AS cameraMake,
              camera_model AS cameraModel, gps_latitude AS gpsLatitude,
              gps_longitude AS gpsLongitude, keywords, description, byte_size AS byteSize
       FROM photos p WHERE p.id = ? AND ${VISIBLE_PHOTO}`,
    )
    .get(photoId);
  if (!row) throw new AppError('not-found', `no photo ${photoId} in the library`);
  const paths = db
    .prepare<[number], { path: string }>(
      `SELECT path FROM files WHERE photo_id = ? AND status != 'missing'
       ORDER BY status != 'indexed', length(path), path`,
    )
    .all(photoId)
    .map((r) => r.path);
  const captions = db
    .prepare<
      [number],
      {
        text: string;
        source: 'user' | 'model';
        modelKey: string;
        score: number | null;
        createdAt: number;
      }
    >(
      `SELECT text, source, model_key AS modelKey, score, created_at AS createdAt FROM captions
       WHERE photo_id = ? ORDER BY created_at DESC, id DESC`,
    )
    .all(photoId);
  const user = captions.find((c) => c.source === 'user')?.text ?? null;
  const model = captions
    .filter((c) => c.source === 'model')
    .map(({ text, modelKey, score, createdAt }) => ({ text, modelKey, score, createdAt }));
  const tags = db
    .prepare<[number], { tag: string; source: TagSource; score: number | null }>(
      `SELECT tag, source, score FROM tags WHERE photo_id = ?
       ORDER BY source != 'user', score IS NULL, score DESC, tag`,
    )
    .all(photoId);
  return {
    photoId,
    paths,
    thumbnailUrl: photoUrl(urlPrefix, 'thumbnail', photoId),
    originalUrl: photoUrl(urlPrefix, 'original', photoId),
    caption: {
      text: user ?? model[0]?.text ?? '',
      source: user !== null ? 'user' : model.length > 0 ? 'model' : 'none',
      user,
      model,
    },
    tags,
    exif: {
      format: row.format,
      width: row.width,
      height: row.height,
      orientation: row.orientation,
      takenAt: row.takenAt,
      cameraMake: row.cameraMake,
      cameraModel: row.cameraModel,
      keywords: JSON.parse(row.keywords) as string[],
      description: row.description,
      byteSize: row.byteSize,
    },
    gps:
      row.gpsLatitude !== null && row.gpsLongitude !== null
        ? { latitude: row.gpsLatitude, longitude: row.gpsLongitude }
        : null,
  };
}

/** Folders holding photos (directly), with how many distinct photos each holds. */
export function listFolders(db: LibraryDatabase): FolderCount[] {
  const photosByFolder = new Map<string, Set<number>>();
  const rows = db
    .prepare<[], { path: string; photoId: number }>(
      `SELECT path, photo_id AS photoId FROM files
       WHERE photo_id IS NOT NULL AND status != 'missing'`,
    )
    .iterate();
  for (const row of rows) {
    const folder = dirname(row.path);
    const set = photosByFolder.get(folder) ?? new Set<number>();
    set.add(row.photoId);
    photosByFolder.set(folder, set);
  }
  return [...photosByFolder.entries()]
    .map(([path, ids]) => ({ path, photos: ids.size }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface PhotoFile {
  path: string;
  contentType: string;
}

/**
 * The file behind a photo URL, looked up by photo id only: the thumbnail the indexer wrote, or
 * the photo's preferred file on disk. Null when the photo or the file does not exist.
 */
export function photoFile(
  db: LibraryDatabase,
  kind: PhotoFileKind,
  photoId: number,
): PhotoFile | null {
  if (kind === 'opened') return null; // not a library photo: see OpenedFiles
  if (kind === 'thumbnail') {
    const row = db
      .prepare<[number], { path: string | null }>(
        `SELECT thumbnail_path AS path FROM photos p WHERE p.id = ? AND ${VISIBLE_PHOTO}`,
      )
      .get(photoId);
    return row?.path && existsSync(row.path) ? { path: row.path, contentType: 'image/jpeg' } : null;
  }
  const path = photoDisplay(db, [photoId]).get(photoId)?.path;
  if (path === undefined || !existsSync(path)) return null;
  return { path, contentType: contentTypeOf(path) };
}
