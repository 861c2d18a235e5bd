import type { LibraryDatabase } from '../db/database.ts';
import { writeSidecar } from '../xmp/sidecar.ts';

/**
 * Opt-in XMP sidecars: after a batch is committed, each touched photo's caption (the user's when
 * there is one) and tags (user tags first) go to the sidecar of every file showing that photo.
 * A sidecar that cannot be updated safely is reported and left alone; indexing goes on.
 */
export class SidecarWriter {
  constructor(
    private readonly db: LibraryDatabase,
    private readonly onProblem: (p: { path: string; reason: string }) => void,
  ) {}

  async write(photoIds: readonly number[]): Promise<void> {
    for (const photoId of photoIds) {
      const caption =
        this.db
          .prepare<[number], { text: string }>(
            "SELECT text FROM captions WHERE photo_id = ? ORDER BY source = 'user' DESC, created_at DESC LIMIT 1",
          )
          .get(photoId)?.text ?? null;
      const tags = this.db
        .prepare<[number], { tag: string }>(
          `SELECT tag FROM tags WHERE photo_id = ? AND source IN ('user', 'zero-shot', 'keyword')
           GROUP BY tag ORDER BY max(source = 'user') DESC, max(coalesce(score, 1)) DESC`,
        )
        .all(photoId)
        .map((r) => r.tag);
      const files = this.db
        .prepare<[number], { path: string }>(
          "SELECT path FROM files WHERE photo_id = ? AND status = 'indexed'",
        )
        .all(photoId);
      for (const { path } of files) {
        try {
          await writeSidecar(path, { description: caption || null, subjects: tags });
        } catch (error) {
          this.onProblem({ path, reason: error instanceof Error ? error.message : String(error) });
        }
      }
    }
  }
}
