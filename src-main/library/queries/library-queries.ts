import type { LibraryDatabase } from '../db/database.ts';
import { VISIBLE_PHOTO, photoPaths } from './photo-fields.ts';

export interface LibraryStatus {
  /** Photos (distinct contents) with at least one file still on disk. */
  photos: number;
  /** Files on disk that the library tracks (every status except 'missing'). */
  files: number;
  /** Files that could not be indexed (see `listErrors`). */
  errors: number;
  /** Files waiting for the indexer. */
  pending: number;
}

export function libraryStatus(db: LibraryDatabase): LibraryStatus {
  const files = db
    .prepare<[], { files: number; errors: number; pending: number }>(
      `SELECT count(*) AS files,
              coalesce(sum(status = 'error'), 0) AS errors,
              coalesce(sum(status = 'pending'), 0) AS pending
       FROM files WHERE status != 'missing'`,
    )
    .get()!;
  const photos = db
    .prepare<[], { n: number }>(`SELECT count(*) AS n FROM photos p WHERE ${VISIBLE_PHOTO}`)
    .get()!.n;
  return { photos, files: files.files, errors: files.errors, pending: files.pending };
}

export interface FileError {
  path: string;
  reason: string;
  /** Where it failed (decode, metadata, inference…), as the indexer recorded it. */
  stage: string | null;
}

export function listErrors(db: LibraryDatabase): FileError[] {
  return db
    .prepare<[], FileError>(
      `SELECT f.path AS path,
              coalesce(e.reason, 'unknown error') AS reason,
              e.stage AS stage
       FROM files f LEFT JOIN file_errors e ON e.file_id = f.id
       WHERE f.status = 'error'
       ORDER BY f.path`,
    )
    .all();
}

export type TagSource = 'user' | 'zero-shot' | 'caption' | 'keyword';

/** User tags first: they are what people chose, machine tags only suggestions. */
const SOURCE_ORDER: readonly TagSource[] = ['user', 'keyword', 'caption', 'zero-shot'];

export interface TagCount {
  tag: string;
  /** Visible photos carrying the tag; a photo tagged both by the user and a model counts once. */
  count: number;
  sources: TagSource[];
}

export function listTags(db: LibraryDatabase): TagCount[] {
  const rows = db
    .prepare<[], { tag: string; count: number; sources: string }>(
      `SELECT t.tag AS tag, count(DISTINCT t.photo_id) AS count,
              group_concat(DISTINCT t.source) AS sources
       FROM tags t JOIN photos p ON p.id = t.photo_id
       WHERE ${VISIBLE_PHOTO}
       GROUP BY t.tag
       ORDER BY count DESC, t.tag`,
    )
    .all();
  return rows.map((row) => ({
    tag: row.tag,
    count: row.count,
    sources: sortSources(row.sources.split(',') as TagSource[]),
  }));
}

function sortSources(sources: TagSource[]): TagSource[] {
  return [...new Set(sources)].sort((a, b) => SOURCE_ORDER.indexOf(a) - SOURCE_ORDER.indexOf(b));
}

export interface ExportedPhoto {
  /** Every file of the photo still on disk, the preferred one first. */
  paths: string[];
  /** The user's caption when there is one, else the newest model caption, else ''. */
  caption: string;
  /** User tags first (alphabetical), then machine tags by score; each tag once. */
  tags: string[];
}

export function exportLibrary(db: LibraryDatabase): ExportedPhoto[] {
  const paths = photoPaths(db);
  const captions = new Map(
    db
      .prepare<[], { photoId: number; text: string }>(
        // Rows come best-last so the Map keeps the winner: user over model, newest model caption.
        `SELECT photo_id AS photoId, text FROM captions
         ORDER BY photo_id, source = 'user', created_at, id`,
      )
      .all()
      .map((r) => [r.photoId, r.text]),
  );
  const tags = new Map<number, string[]>();
  const tagRows = db
    .prepare<[], { photoId: number; tag: string }>(
      `SELECT photo_id AS photoId, tag FROM tags
       ORDER BY photo_id, source != 'user', CASE WHEN source = 'user' THEN tag END,
                score IS NULL, score DESC, tag`,
    )
    .all();
  for (const row of tagRows) {
    const list = tags.get(row.photoId) ?? [];
    if (!list.includes(row.tag)) list.push(row.tag);
    tags.set(row.photoId, list);
  }
  return [...paths.entries()].map(([photoId, filePaths]) => ({
    paths: filePaths,
    caption: captions.get(photoId) ?? '',
    tags: tags.get(photoId) ?? [],
  }));
}

/** RFC 4180: a field is quoted when it holds a quote, comma or line break; quotes are doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Export as CSV (header `paths,caption,tags`, CRLF line ends); lists are joined with `; `. */
export function exportCsv(photos: readonly ExportedPhoto[]): string {
  const lines = [['paths', 'caption', 'tags'].join(',')];
  for (const photo of photos) {
    lines.push(
      [photo.paths.join('; '), photo.caption, photo.tags.join('; ')].map(csvField).join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
