import type { LibraryDatabase } from '../db/database.ts';
import { openVectorIndex, type OpenedVectorIndex } from '../vector/vector-index.ts';
import type { VectorEngine } from '../vector/types.ts';

export const SEARCH_EMBEDDING_KIND = 'itc_image';

/** The stored shape of a model's search embeddings, or null when nothing is embedded yet. */
export function embeddingShape(
  db: LibraryDatabase,
  modelKey: string,
): { rows: number; dimensions: number } | null {
  const row = db
    .prepare<[string, string], { rows: number; cols: number }>(
      `SELECT rows, cols FROM embeddings WHERE model_key = ? AND kind = ?
       GROUP BY rows, cols ORDER BY count(*) DESC LIMIT 1`,
    )
    .get(modelKey, SEARCH_EMBEDDING_KIND);
  return row ? { rows: row.rows, dimensions: row.cols } : null;
}

/**
 * Opens the vector index over a model's stored search embeddings (engine chosen by
 * `openVectorIndex`) and brings it up to date; null when no photo is embedded with that model.
 */
export function openSearchIndex(
  db: LibraryDatabase,
  modelKey: string,
  options: { engine?: 'auto' | VectorEngine } = {},
): OpenedVectorIndex | null {
  const shape = embeddingShape(db, modelKey);
  if (!shape) return null;
  const opened = openVectorIndex(db, {
    modelKey,
    kind: SEARCH_EMBEDDING_KIND,
    ...shape,
    ...(options.engine ? { engine: options.engine } : {}),
  });
  opened.index.sync();
  return opened;
}
