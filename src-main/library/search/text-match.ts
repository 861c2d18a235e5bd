import type { LibraryDatabase } from '../db/database.ts';

/**
 * bm25 column weights for photo_text(caption, tags, filenames, keywords): tags and keywords are
 * short, deliberate labels, so a hit there says more than one word of a sentence-long caption.
 */
const COLUMN_WEIGHTS = [1, 2, 1, 2] as const;

/**
 * Free text → an FTS5 query that matches any of its words (OR), each quoted so FTS syntax in the
 * user's text (`-`, `:`, `NEAR`, `*`) is taken literally. bm25's IDF already weights rare words
 * above filler like "a" or "the".
 */
export function ftsQuery(text: string): string | null {
  const words = text
    .normalize('NFC')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
  if (words.length === 0) return null;
  return [...new Set(words.map((w) => w.toLowerCase()))]
    .map((w) => `"${w.replaceAll('"', '""')}"`)
    .join(' OR ');
}

/**
 * Photos whose caption, tags, file names or keywords match, best first, scored in (0, 1]:
 * bm25 (negative, lower is better) divided by the best bm25 of this query. Normalising per query
 * makes the text score independent of library size, which shifts raw bm25 values through IDF.
 */
export function textMatches(
  db: LibraryDatabase,
  text: string,
  limit: number,
  accept: (photoId: number) => boolean = () => true,
): { photoId: number; text: number }[] {
  const query = ftsQuery(text);
  if (query === null || limit <= 0) return [];
  const statement = db.prepare<[string], { photoId: number; rank: number }>(
    `SELECT rowid AS photoId, bm25(photo_text, ${COLUMN_WEIGHTS.join(', ')}) AS rank
     FROM photo_text WHERE photo_text MATCH ? ORDER BY rank`,
  );
  // Streamed and filtered here (not LIMITed in SQL) so a narrow filter still gets `limit` rows.
  const rows: { photoId: number; rank: number }[] = [];
  for (const row of statement.iterate(query)) {
    if (!accept(row.photoId)) continue;
    rows.push(row);
    if (rows.length >= limit) break;
  }
  const best = rows[0]?.rank;
  // FTS5 clamps IDF above zero, so bm25 is negative for every match; guard anyway.
  if (best === undefined || !(best < 0)) return rows.map((r) => ({ photoId: r.photoId, text: 1 }));
  return rows.map((r) => ({ photoId: r.photoId, text: Math.max(0, r.rank / best) }));
}
