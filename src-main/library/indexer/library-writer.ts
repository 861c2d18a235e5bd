import { basename } from 'node:path';
import type { LibraryDatabase } from '../db/database.ts';

export interface ScannedFileRow {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface PhotoMetadataRow {
  format: string | null;
  width: number | null;
  height: number | null;
  orientation: number | null;
  takenAt: string | null;
  cameraMake: string | null;
  cameraModel: string | null;
  gpsLatitude: number | null;
  gpsLongitude: number | null;
  keywords: string[];
  description: string | null;
}

export type BatchOutcome =
  | { kind: 'error'; fileId: number; stage: string; reason: string }
  /** The content is already a complete photo: only the file row changes (moved/renamed/copied). */
  | { kind: 'linked'; fileId: number; sha256: string; photoId: number }
  | {
      kind: 'analysed';
      fileIds: number[];
      sha256: string;
      size: number;
      metadata: PhotoMetadataRow;
      thumbnailPath: string | null;
      caption: { text: string; score: number | null; modelKey: string } | null;
      embedding: { modelKey: string; rows: number; cols: number; vectors: Buffer } | null;
      tags: {
        tag: string;
        source: 'zero-shot' | 'caption';
        score: number | null;
        modelKey: string;
      }[];
    };

export interface ScanSyncReport {
  added: number;
  changed: number;
  unchanged: number;
  missing: number;
}

/**
 * Every write the indexer makes, each group in one transaction, so a crash (even kill -9) leaves
 * the library either before or after a batch, never in between.
 */
export class LibraryWriter {
  constructor(private readonly db: LibraryDatabase) {}

  upsertRoot(path: string, include: readonly string[], exclude: readonly string[]): number {
    const row = this.db
      .prepare<[string, string, string, number], { id: number }>(
        `INSERT INTO roots (path, include_globs, exclude_globs, added_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (path) DO UPDATE SET include_globs = excluded.include_globs, exclude_globs = excluded.exclude_globs
         RETURNING id`,
      )
      .get(path, JSON.stringify(include), JSON.stringify(exclude), Date.now());
    return row!.id;
  }

  /**
   * Reconciles one root's `files` rows with a fresh scan: new paths and changed files (size or
   * mtime) become pending, vanished ones missing. Content is identified later by hash, so a
   * moved file is "missing" here and "new" there, and the new row re-links to the same photo.
   */
  syncScan(rootId: number, scanned: readonly ScannedFileRow[]): ScanSyncReport {
    const existing = new Map(
      this.db
        .prepare<
          [number],
          {
            id: number;
            path: string;
            size: number;
            mtime_ms: number;
            status: string;
            photo_id: number | null;
          }
        >('SELECT id, path, size, mtime_ms, status, photo_id FROM files WHERE root_id = ?')
        .all(rootId)
        .map((r) => [r.path, r]),
    );
    const now = Date.now();
    const insert = this.db.prepare(
      "INSERT INTO files (root_id, path, size, mtime_ms, status, updated_at) VALUES (?, ?, ?, ?, 'pending', ?)",
    );
    const changed = this.db.prepare(
      "UPDATE files SET size = ?, mtime_ms = ?, content_hash = NULL, photo_id = NULL, status = 'pending', updated_at = ? WHERE id = ?",
    );
    const returned = this.db.prepare(
      "UPDATE files SET status = CASE WHEN photo_id IS NULL THEN 'pending' ELSE 'indexed' END, updated_at = ? WHERE id = ?",
    );
    const missing = this.db.prepare(
      "UPDATE files SET status = 'missing', updated_at = ? WHERE id = ?",
    );
    const report: ScanSyncReport = { added: 0, changed: 0, unchanged: 0, missing: 0 };
    const seen = new Set<string>();
    this.db.transaction(() => {
      for (const file of scanned) {
        seen.add(file.path);
        const row = existing.get(file.path);
        if (!row) {
          insert.run(rootId, file.path, file.size, Math.round(file.mtimeMs), now);
          report.added++;
        } else if (row.size !== file.size || row.mtime_ms !== Math.round(file.mtimeMs)) {
          changed.run(file.size, Math.round(file.mtimeMs), now, row.id);
          report.changed++;
        } else {
          if (row.status === 'missing') returned.run(now, row.id);
          report.unchanged++;
        }
      }
      for (const [path, row] of existing) {
        if (!seen.has(path) && row.status !== 'missing') {
          missing.run(now, row.id);
          report.missing++;
        }
      }
    })();
    return report;
  }

  /** Files whose photo lacks a result of the current models become pending again. */
  requeueIncomplete(captionKey: string, searchKey: string): number {
    return this.db
      .prepare(
        `UPDATE files SET status = 'pending', updated_at = ?
         WHERE status = 'indexed' AND (photo_id IS NULL
           OR NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.photo_id = files.photo_id AND e.model_key = ? AND e.kind = 'itc_image')
           OR NOT EXISTS (SELECT 1 FROM captions c WHERE c.photo_id = files.photo_id AND c.source = 'model' AND c.model_key = ?))`,
      )
      .run(Date.now(), searchKey, captionKey).changes;
  }

  /** The photo with this content, if it exists, and which current results it already has. */
  photoState(
    sha256: string,
    captionKey: string,
    searchKey: string,
  ): { photoId: number; hasCaption: boolean; hasEmbedding: boolean } | null {
    const row = this.db
      .prepare<[string, string, string], { id: number; caption: number; embedding: number }>(
        `SELECT p.id,
           EXISTS (SELECT 1 FROM captions c WHERE c.photo_id = p.id AND c.source = 'model' AND c.model_key = ?) AS caption,
           EXISTS (SELECT 1 FROM embeddings e WHERE e.photo_id = p.id AND e.model_key = ? AND e.kind = 'itc_image') AS embedding
         FROM photos p WHERE p.content_hash = ?`,
      )
      .get(captionKey, searchKey, sha256);
    return row
      ? { photoId: row.id, hasCaption: row.caption === 1, hasEmbedding: row.embedding === 1 }
      : null;
  }

  commitBatch(outcomes: readonly BatchOutcome[], job: { id: number; done: number }): number[] {
    const touched: number[] = [];
    this.db.transaction(() => {
      for (const outcome of outcomes) {
        if (outcome.kind === 'error')
          this.recordError(outcome.fileId, outcome.stage, outcome.reason);
        else if (outcome.kind === 'linked') {
          this.linkFile(outcome.fileId, outcome.sha256, outcome.photoId);
          this.refreshPhotoText(outcome.photoId);
          touched.push(outcome.photoId);
        } else {
          const photoId = this.writePhoto(outcome);
          for (const fileId of outcome.fileIds) this.linkFile(fileId, outcome.sha256, photoId);
          this.refreshPhotoText(photoId);
          touched.push(photoId);
        }
      }
      this.db
        .prepare('UPDATE jobs SET done = ?, updated_at = ? WHERE id = ?')
        .run(job.done, Date.now(), job.id);
    })();
    return touched;
  }

  private recordError(fileId: number, stage: string, reason: string): void {
    const now = Date.now();
    this.db
      .prepare(
        "UPDATE files SET status = 'error', content_hash = NULL, photo_id = NULL, updated_at = ? WHERE id = ?",
      )
      .run(now, fileId);
    this.db
      .prepare(
        `INSERT INTO file_errors (file_id, stage, reason, at) VALUES (?, ?, ?, ?)
         ON CONFLICT (file_id) DO UPDATE SET stage = excluded.stage, reason = excluded.reason, at = excluded.at`,
      )
      .run(fileId, stage, reason, now);
  }

  private linkFile(fileId: number, sha256: string, photoId: number): void {
    this.db
      .prepare(
        "UPDATE files SET content_hash = ?, photo_id = ?, status = 'indexed', updated_at = ? WHERE id = ?",
      )
      .run(sha256, photoId, Date.now(), fileId);
    this.db.prepare('DELETE FROM file_errors WHERE file_id = ?').run(fileId);
  }

  private writePhoto(o: Extract<BatchOutcome, { kind: 'analysed' }>): number {
    const m = o.metadata;
    const { id } = this.db
      .prepare<unknown[], { id: number }>(
        `INSERT INTO photos (content_hash, byte_size, format, width, height, orientation, taken_at, camera_make,
           camera_model, gps_latitude, gps_longitude, keywords, description, thumbnail_path, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (content_hash) DO UPDATE SET thumbnail_path = coalesce(excluded.thumbnail_path, thumbnail_path)
         RETURNING id`,
      )
      .get(
        o.sha256,
        o.size,
        m.format,
        m.width,
        m.height,
        m.orientation,
        m.takenAt,
        m.cameraMake,
        m.cameraModel,
        m.gpsLatitude,
        m.gpsLongitude,
        JSON.stringify(m.keywords),
        m.description,
        o.thumbnailPath,
        Date.now(),
      )!;
    if (o.caption) {
      this.db
        .prepare(
          `INSERT INTO captions (photo_id, text, source, model_key, score, created_at) VALUES (?, ?, 'model', ?, ?, ?)
           ON CONFLICT (photo_id, source, model_key) DO UPDATE SET text = excluded.text, score = excluded.score, created_at = excluded.created_at`,
        )
        .run(id, o.caption.text, o.caption.modelKey, o.caption.score, Date.now());
    }
    if (o.embedding) {
      this.db
        .prepare(
          "INSERT OR REPLACE INTO embeddings (photo_id, model_key, kind, rows, cols, vectors) VALUES (?, ?, 'itc_image', ?, ?, ?)",
        )
        .run(id, o.embedding.modelKey, o.embedding.rows, o.embedding.cols, o.embedding.vectors);
    }
    // Machine tags are replaced as a set; user tags (source 'user') are never touched.
    const sources = [...new Set(o.tags.map((t) => t.source))];
    if (o.caption) sources.push('caption');
    const uniqueSources = [...new Set(sources)];
    if (uniqueSources.length > 0) {
      this.db
        .prepare(
          `DELETE FROM tags WHERE photo_id = ? AND source IN (${uniqueSources.map(() => '?').join(', ')})`,
        )
        .run(id, ...uniqueSources);
    }
    const insertTag = this.db.prepare(
      'INSERT OR REPLACE INTO tags (photo_id, tag, source, model_key, score) VALUES (?, ?, ?, ?, ?)',
    );
    for (const t of o.tags) insertTag.run(id, t.tag, t.source, t.modelKey, t.score);
    this.db.prepare("DELETE FROM tags WHERE photo_id = ? AND source = 'keyword'").run(id);
    for (const keyword of m.keywords) insertTag.run(id, keyword.toLowerCase(), 'keyword', '', null);
    return id;
  }

  /** Rebuilds the photo's full-text row from the tables (user caption first, then the model's). */
  refreshPhotoText(photoId: number): void {
    const caption =
      this.db
        .prepare<[number], { text: string }>(
          "SELECT text FROM captions WHERE photo_id = ? ORDER BY source = 'user' DESC, created_at DESC LIMIT 1",
        )
        .get(photoId)?.text ?? '';
    const tags = this.db
      .prepare<[number], { tag: string }>('SELECT DISTINCT tag FROM tags WHERE photo_id = ?')
      .all(photoId)
      .map((r) => r.tag);
    const names = this.db
      .prepare<[number], { path: string }>(
        "SELECT path FROM files WHERE photo_id = ? AND status != 'missing'",
      )
      .all(photoId)
      .map((r) => basename(r.path).replace(/[._-]+/g, ' '));
    const keywords = this.db
      .prepare<[number], { keywords: string; description: string | null }>(
        'SELECT keywords, description FROM photos WHERE id = ?',
      )
      .get(photoId);
    const keywordText = [
      ...(JSON.parse(keywords?.keywords ?? '[]') as string[]),
      keywords?.description ?? '',
    ].join(' ');
    this.db.prepare('DELETE FROM photo_text WHERE rowid = ?').run(photoId);
    this.db
      .prepare(
        'INSERT INTO photo_text (rowid, caption, tags, filenames, keywords) VALUES (?, ?, ?, ?, ?)',
      )
      .run(photoId, caption, tags.join(' '), names.join(' '), keywordText);
  }

  startJob(kind: string, params: unknown): number {
    const now = Date.now();
    // A job still 'running' was interrupted (crash, kill -9): say so instead of leaving it open.
    this.db
      .prepare(
        "UPDATE jobs SET state = 'failed', message = 'interrupted', updated_at = ? WHERE state IN ('running', 'paused')",
      )
      .run(now);
    const row = this.db
      .prepare<[string, string, number, number], { id: number }>(
        "INSERT INTO jobs (kind, state, params, started_at, updated_at) VALUES (?, 'running', ?, ?, ?) RETURNING id",
      )
      .get(kind, JSON.stringify(params), now, now);
    return row!.id;
  }

  updateJob(
    id: number,
    fields: { state?: string; total?: number; done?: number; message?: string },
  ): void {
    const sets = Object.keys(fields).map((k) => `${k} = @${k}`);
    this.db
      .prepare(`UPDATE jobs SET ${[...sets, 'updated_at = @now'].join(', ')} WHERE id = @id`)
      .run({ ...fields, now: Date.now(), id });
  }
}
