import type { Blip2Retrieval } from '../../engine/blip2/retrieval.ts';
import type { LibraryDatabase } from '../db/database.ts';
import { modelKey } from '../models.ts';
import { openSearchIndex } from '../search/open-index.ts';
import type { OpenedVectorIndex } from '../vector/vector-index.ts';

/**
 * Keeps the derived vector index in step with the canonical `embeddings` table. sqlite-vss
 * rewrites its whole index on every commit, so photos are synced in large groups rather than per
 * batch; a crash in between loses nothing, since `repair()` at the next start re-syncs from the
 * embeddings.
 */
export class VectorIndexSync {
  private opened: OpenedVectorIndex | null = null;
  private sinceSync = 0;
  private readonly key: string;

  constructor(
    private readonly db: LibraryDatabase,
    retrieval: Blip2Retrieval,
    private readonly syncEvery = 2000,
  ) {
    this.key = modelKey(retrieval.model.manifest);
  }

  repair(): void {
    this.flush();
  }

  noteChanged(photos: number): void {
    this.sinceSync += photos;
    if (this.sinceSync >= this.syncEvery) this.flush();
  }

  flush(): void {
    this.sinceSync = 0;
    if (this.opened) this.opened.index.sync();
    else this.opened = openSearchIndex(this.db, this.key);
  }

  describe(): string {
    return this.opened ? `${this.opened.engine} (${this.opened.reason})` : 'empty';
  }

  close(): void {
    this.opened?.index.close();
    this.opened = null;
  }
}
