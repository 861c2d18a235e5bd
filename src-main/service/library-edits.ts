import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { LibraryDatabase } from '../library/db/database.ts';
import { LibraryWriter } from '../library/indexer/library-writer.ts';
import { AppError } from '../shared/app-error.ts';

/**
 * What the user changes by hand. User captions and tags live next to the model's (source
 * 'user'); every read prefers them and the indexer never replaces them. The full-text row is
 * rebuilt after each edit so search sees the change at once.
 */
export class LibraryEdits {
  private readonly writer: LibraryWriter;

  constructor(private readonly db: LibraryDatabase) {
    this.writer = new LibraryWriter(db);
  }

  setUserCaption(photoId: number, caption: string): void {
    this.requirePhoto(photoId);
    this.db.transaction(() => {
      if (caption === '') {
        this.db.prepare("DELETE FROM captions WHERE photo_id = ? AND source = 'user'").run(photoId);
      } else {
        this.db
          .prepare(
            `INSERT INTO captions (photo_id, text, source, model_key, score, created_at)
             VALUES (?, ?, 'user', '', NULL, ?)
             ON CONFLICT (photo_id, source, model_key)
             DO UPDATE SET text = excluded.text, created_at = excluded.created_at`,
          )
          .run(photoId, caption, Date.now());
      }
      this.writer.refreshPhotoText(photoId);
    })();
  }

  addUserTag(photoId: number, tag: string): void {
    this.requirePhoto(photoId);
    this.db.transaction(() => {
      this.db
        .prepare(
          "INSERT OR IGNORE INTO tags (photo_id, tag, source, model_key, score) VALUES (?, ?, 'user', '', NULL)",
        )
        .run(photoId, tag.toLowerCase());
      this.writer.refreshPhotoText(photoId);
    })();
  }

  /** Removes the tag whatever its source: the user said it does not belong to the photo. */
  removeTag(photoId: number, tag: string): void {
    this.requirePhoto(photoId);
    this.db.transaction(() => {
      this.db
        .prepare('DELETE FROM tags WHERE photo_id = ? AND tag = ? COLLATE NOCASE')
        .run(photoId, tag);
      this.writer.refreshPhotoText(photoId);
    })();
  }

  /** Adds a library folder (idempotent); returns its root id. */
  addRoot(path: string): number {
    if (!isAbsolute(path)) throw new AppError('invalid-request', `not an absolute path: ${path}`);
    const folder = resolve(path);
    const stats = statSync(folder, { throwIfNoEntry: false });
    if (!stats) throw new AppError('invalid-request', `no such folder: ${folder}`);
    if (!stats.isDirectory()) throw new AppError('invalid-request', `not a folder: ${folder}`);
    const existing = this.db
      .prepare<[string], { id: number }>('SELECT id FROM roots WHERE path = ?')
      .get(folder);
    return existing?.id ?? this.writer.upsertRoot(folder, [], []);
  }

  /** Forgets a folder and its files; photos left without files drop out of every listing. */
  removeRoot(rootId: number): boolean {
    return this.db.prepare('DELETE FROM roots WHERE id = ?').run(rootId).changes > 0;
  }

  private requirePhoto(photoId: number): void {
    const row = this.db
      .prepare<[number], { id: number }>('SELECT id FROM photos WHERE id = ?')
      .get(photoId);
    if (!row) throw new AppError('not-found', `no photo ${photoId} in the library`);
  }

  /**
   * Failed files (by path) become pending again, their recorded error forgotten; returns the
   * library folders they belong to, for the run that indexes them.
   */
  requeueFailed(paths: readonly string[]): number[] {
    const requeue = this.db.prepare<[number, string], { rootId: number; fileId: number }>(
      `UPDATE files SET status = 'pending', updated_at = ?
       WHERE path = ? AND status = 'error' RETURNING root_id AS rootId, id AS fileId`,
    );
    const forget = this.db.prepare('DELETE FROM file_errors WHERE file_id = ?');
    const rootIds = new Set<number>();
    this.db.transaction(() => {
      const now = Date.now();
      for (const path of paths) {
        const row = requeue.get(now, path);
        if (!row) continue;
        forget.run(row.fileId);
        rootIds.add(row.rootId);
      }
    })();
    return [...rootIds];
  }
}
