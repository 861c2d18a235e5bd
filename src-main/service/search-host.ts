import type { LibraryDatabase } from '../library/db/database.ts';
import { openSearchIndex } from '../library/search/open-index.ts';
import { LibrarySearch, type SearchHit } from '../library/search/search-service.ts';
import type { OpenedVectorIndex } from '../library/vector/vector-index.ts';
import { AppError } from '../shared/app-error.ts';
import type { PhotoHit, SearchFilters } from '../shared/app-schemas.ts';
import { photoUrl } from '../shared/photo-urls.ts';
import type { ModelHost } from './model-host.ts';

/**
 * Text and image search over the library. The vector index is derived from the stored
 * embeddings; it is brought up to date lazily, on the first search after photos changed, since
 * some engines rewrite the whole index on every sync.
 */
export class SearchHost {
  private opened: { key: string; index: OpenedVectorIndex } | null = null;
  private stale = true;
  private textSearch: { key: string; search: LibrarySearch } | null = null;

  constructor(
    private readonly db: LibraryDatabase,
    private readonly models: ModelHost,
  ) {}

  photosChanged(): void {
    this.stale = true;
  }

  async search(
    text: string,
    options: { limit?: number; filters?: SearchFilters },
    urlPrefix: string,
  ): Promise<PhotoHit[]> {
    const retrieval = await this.models.retrieval();
    const key = this.models.modelKeyOf('search');
    if (key === null) throw new AppError('unavailable', 'the search model has no manifest');
    const index = this.index(key);
    if (!index) return [];
    if (this.textSearch?.key !== key) {
      this.textSearch = {
        key,
        search: new LibrarySearch(this.db, { retrieval, modelKey: key, vectorIndex: index.index }),
      };
    }
    const hits = await this.textSearch.search.search(text, {
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      ...(options.filters ? { filters: options.filters } : {}),
    });
    return hits.map((hit) => toPhotoHit(hit, urlPrefix));
  }

  /** Photos that look like a library photo, from stored embeddings only (no model run). */
  async similar(
    photoId: number,
    limit: number | undefined,
    urlPrefix: string,
  ): Promise<PhotoHit[]> {
    const key = this.models.modelKeyOf('search') ?? this.newestEmbeddingKey();
    const embedded = this.db
      .prepare<[number, string], { one: number }>(
        `SELECT 1 AS one FROM embeddings WHERE photo_id = ? AND model_key = ? AND kind = 'itc_image'`,
      )
      .get(photoId, key ?? '');
    if (key === null || !embedded) {
      const exists = this.db.prepare('SELECT 1 FROM photos WHERE id = ?').get(photoId);
      throw exists
        ? new AppError('conflict', `photo ${photoId} has no search embedding yet; index it first`)
        : new AppError('not-found', `no photo ${photoId} in the library`);
    }
    const index = this.index(key);
    if (!index) return [];
    const search = new LibrarySearch(this.db, { modelKey: key, vectorIndex: index.index });
    const hits = await search.similar(photoId, limit !== undefined ? { limit } : {});
    return hits.map((hit) => toPhotoHit(hit, urlPrefix));
  }

  private index(key: string): OpenedVectorIndex | null {
    if (this.opened && this.opened.key !== key) this.close();
    if (this.opened) {
      if (this.stale) this.opened.index.index.sync();
    } else {
      const index = openSearchIndex(this.db, key);
      this.opened = index ? { key, index } : null;
    }
    this.stale = false;
    return this.opened?.index ?? null;
  }

  /** Without an installed search model, similar() still works on what the library stored. */
  private newestEmbeddingKey(): string | null {
    return (
      this.db
        .prepare<[], { key: string }>(
          `SELECT e.model_key AS key FROM embeddings e
           LEFT JOIN models m ON m.model_key = e.model_key
           WHERE e.kind = 'itc_image'
           GROUP BY e.model_key ORDER BY max(coalesce(m.registered_at, 0)) DESC, count(*) DESC
           LIMIT 1`,
        )
        .get()?.key ?? null
    );
  }

  close(): void {
    this.opened?.index.index.close();
    this.opened = null;
    this.textSearch = null;
  }
}

function toPhotoHit(hit: SearchHit, urlPrefix: string): PhotoHit {
  return {
    photoId: hit.photoId,
    path: hit.path,
    thumbnailUrl: photoUrl(urlPrefix, 'thumbnail', hit.photoId),
    caption: hit.caption,
    score: hit.score,
  };
}
