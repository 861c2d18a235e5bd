import type { Blip2Retrieval } from '../../engine/blip2/retrieval.ts';
import { encodeImages, loadPixelBatch } from '../../engine/blip2/vision-encoder.ts';
import { ImageDecodeError, type DecodeOptions } from '../../engine/image/decode.ts';
import { floatTensor } from '../../engine/runtime/tensor.ts';
import type { LibraryDatabase } from '../db/database.ts';
import { photoDisplay } from '../queries/photo-fields.ts';
import { decodeFp16 } from '../vector/fp16.ts';
import { filteredPhotoIds, hasFilters, visibilityCheck, type SearchFilters } from './filters.ts';
import { LruCache } from './lru-cache.ts';
import { textMatches } from './text-match.ts';

/** What the search needs from a vector index (implemented by `library/vector/vector-index.ts`). */
export interface VectorHit {
  photoId: number;
  /** Max over the photo's stored query vectors of the dot product with the query (ITC). */
  score: number;
}

export interface PhotoVectorIndex {
  /** The k best photos for one query vector, best first; restricted to candidates when given. */
  search(
    query: Float32Array,
    k: number,
    options?: { candidatePhotoIds?: ReadonlySet<number> },
  ): VectorHit[] | Promise<VectorHit[]>;
}

export interface SearchHit {
  photoId: number;
  /** One file of the photo: an indexed one when there is one, the shortest path first. */
  path: string;
  caption: string;
  /** What the hits are ordered by (see `LibrarySearch.search`). */
  score: number;
  /** ITC: max over the photo's query vectors of the cosine with the text; null if not embedded. */
  itc: number | null;
  /** ITM match probability, for the re-ranked top k only. */
  itm?: number;
  /** Full-text match in (0, 1] (bm25 relative to this query's best), when the text matched. */
  text?: number;
}

export interface SearchOptions {
  limit?: number;
  filters?: SearchFilters;
  /** ITM re-ranking of the top k; default: on (k = 16) on an accelerator, off on CPU. */
  rerank?: { k: number } | false;
}

export interface LibrarySearchOptions {
  /** The search model: text features for queries, vision + ITM for re-ranking. */
  retrieval?: Blip2Retrieval;
  /** Which stored embeddings to use (`embeddings.model_key`). */
  modelKey: string;
  vectorIndex: PhotoVectorIndex;
  /** Vision outputs kept for re-ranking the same photos again (default 32, ~47 MB for ViT-g). */
  visionCacheSize?: number;
  decode?: DecodeOptions;
}

/** Weight of the full-text score next to ITC; see `search`. */
export const TEXT_WEIGHT = 0.1;
/**
 * Re-ranking depth. ITM needs the photo's ViT output (257 × 1408 for ViT-g), which is not stored
 * (≈0.7 MB per photo even in fp16, 70 GB for 100k photos), so it is recomputed from the file:
 * decode + resize + ViT-g + ITM. Measured: ~13 ms per photo with the tiny test model on one CPU
 * thread, nearly all of it decoding and resizing the photo (the tiny graphs are negligible); with
 * the real ViT-g it is ~2.7 s per photo on CPU and a few tens of ms on a GPU. So k = 16 adds well
 * under a second on a GPU but ~45 s on CPU: re-ranking defaults to on (k = 16) only when the
 * search model runs on an accelerator. An LRU of recent vision outputs makes refining a query
 * (same top photos) cheap.
 */
export const DEFAULT_RERANK_K = 16;
/** Candidates fetched per wanted result, so text hits, filters and re-ranking have room. */
const OVERFETCH = 4;

interface Candidate {
  photoId: number;
  itc: number | null;
  text?: number;
  itm?: number;
  base: number;
  score: number;
}

interface VisionOutput {
  data: Float32Array;
  /** [tokens, hidden] of one photo. */
  dims: readonly [number, number];
}

/**
 * Text-to-image and image-to-image search over a library's stored ITC embeddings, with BLIP-2's
 * ITM re-ranking and a full-text channel over captions, tags, file names and keywords.
 */
export class LibrarySearch {
  private readonly retrieval: Blip2Retrieval | undefined;
  private readonly modelKey: string;
  private readonly index: PhotoVectorIndex;
  private readonly decode: DecodeOptions | undefined;
  private readonly visionCache: LruCache<number, VisionOutput>;

  constructor(
    private readonly db: LibraryDatabase,
    options: LibrarySearchOptions,
  ) {
    this.retrieval = options.retrieval;
    this.modelKey = options.modelKey;
    this.index = options.vectorIndex;
    this.decode = options.decode;
    this.visionCache = new LruCache(options.visionCacheSize ?? 32);
  }

  /**
   * Pipeline: text → ITC text feature → vector candidates (restricted in SQL to the photos that
   * pass the filters) ∪ full-text matches → exact ITC for text-only matches → optional ITM
   * re-rank → limit. Scores:
   *
   *   base  = itc + TEXT_WEIGHT · text          (text = 0 without a full-text match)
   *   score = base + itm  for the re-ranked top k by base (BLIP-2's protocol: ITM prob + ITC)
   *   score = base        otherwise
   *
   * ITC cosines of a relevant and an irrelevant photo typically differ by ~0.1 with BLIP-2, so a
   * perfect text hit is worth about that gap: it lifts a photo whose caption or tags name the
   * query without letting keyword noise override the model. Since itm ≥ 0, re-ranked hits stay
   * above the rest, as in the paper's top-k protocol.
   */
  async search(text: string, options: SearchOptions = {}): Promise<SearchHit[]> {
    const limit = options.limit ?? 20;
    if (limit <= 0) return [];
    const retrieval = this.requireRetrieval('text search');
    const features = await retrieval.textFeatures([text]);
    const query = features.data.slice();
    features.dispose();
    const rerankK = this.rerankDepth(retrieval, options.rerank);
    const want = Math.max(limit * OVERFETCH, rerankK);

    let accept: (photoId: number) => boolean;
    let candidateIds: ReadonlySet<number> | undefined;
    if (hasFilters(options.filters)) {
      const allowed = new Set(filteredPhotoIds(this.db, options.filters));
      if (allowed.size === 0) return [];
      candidateIds = allowed;
      accept = (id) => allowed.has(id);
    } else {
      accept = memoize(visibilityCheck(this.db));
    }

    const candidates = new Map<number, Candidate>();
    const blank = (photoId: number): Candidate => ({ photoId, itc: null, base: 0, score: 0 });
    for (const hit of await this.acceptedSearch(query, want, accept, candidateIds)) {
      candidates.set(hit.photoId, { ...blank(hit.photoId), itc: hit.score });
    }
    for (const hit of textMatches(this.db, text, want, accept)) {
      const candidate = candidates.get(hit.photoId) ?? blank(hit.photoId);
      candidate.text = hit.text;
      candidates.set(hit.photoId, candidate);
    }
    await this.scoreTextOnly(query, [...candidates.values()]);

    for (const c of candidates.values()) {
      c.base = (c.itc ?? 0) + TEXT_WEIGHT * (c.text ?? 0);
      c.score = c.base;
    }
    const display = photoDisplay(this.db, [...candidates.keys()]);
    const ranked = [...candidates.values()].filter((c) => display.has(c.photoId)).sort(byScore);
    if (rerankK > 0) {
      await this.rerank(
        retrieval,
        text,
        ranked.slice(0, rerankK).map((c) => ({ candidate: c, path: display.get(c.photoId)!.path })),
      );
      ranked.sort(byScore);
    }
    return ranked.slice(0, limit).map((c) => toHit(c, display.get(c.photoId)!));
  }

  /**
   * Photos that look like a library photo, by its stored query vectors (the photo is left out).
   * `photo` is a photo id or the path of one of its files.
   */
  async similar(photo: number | string, options: { limit?: number } = {}): Promise<SearchHit[]> {
    const photoId = typeof photo === 'number' ? photo : this.photoIdForPath(photo);
    const stored = this.db
      .prepare<[number, string], { rows: number; vectors: Buffer }>(
        `SELECT rows, vectors FROM embeddings
         WHERE photo_id = ? AND model_key = ? AND kind = 'itc_image'`,
      )
      .get(photoId, this.modelKey);
    if (!stored) {
      throw new Error(
        `${typeof photo === 'number' ? `photo ${photo}` : photo} has no search embedding yet (model ${this.modelKey}); index it first`,
      );
    }
    return this.similarToFeatures(decodeFp16(stored.vectors), stored.rows, {
      ...options,
      excludePhotoId: photoId,
    });
  }

  /**
   * Image-to-image similarity = max over pairs of query vectors (the ITC "max over queries" rule
   * applied on both sides). It is computed exactly with one index search per query vector of the
   * image: max over pairs = max over the image's vectors a of (max over the photo's vectors b of
   * a·b), and a photo missing from the k best of the vector a that realises its score is beaten
   * by k accepted photos, so it cannot be in the overall top k either.
   */
  async similarToFeatures(
    imageFeats: Float32Array,
    rows: number,
    options: { limit?: number; excludePhotoId?: number } = {},
  ): Promise<SearchHit[]> {
    const limit = options.limit ?? 20;
    if (limit <= 0 || rows <= 0) return [];
    if (imageFeats.length % rows !== 0) {
      throw new Error(`${imageFeats.length} values do not split into ${rows} query vectors`);
    }
    const dim = imageFeats.length / rows;
    const visible = memoize(visibilityCheck(this.db));
    const accept = (id: number): boolean => id !== options.excludePhotoId && visible(id);
    const best = new Map<number, number>();
    for (let q = 0; q < rows; q++) {
      const vector = imageFeats.slice(q * dim, (q + 1) * dim);
      for (const hit of await this.acceptedSearch(vector, limit, accept)) {
        best.set(hit.photoId, Math.max(best.get(hit.photoId) ?? -Infinity, hit.score));
      }
    }
    const display = photoDisplay(this.db, [...best.keys()]);
    return [...best.entries()]
      .filter(([id]) => display.has(id))
      .map(([photoId, score]) => ({ photoId, itc: score, base: score, score }))
      .sort(byScore)
      .slice(0, limit)
      .map((c) => toHit(c, display.get(c.photoId)!));
  }

  /** The k best accepted photos: the index is asked for more until enough pass `accept`. */
  private async acceptedSearch(
    query: Float32Array,
    want: number,
    accept: (photoId: number) => boolean,
    candidatePhotoIds?: ReadonlySet<number>,
  ): Promise<VectorHit[]> {
    for (let k = want; ; k *= OVERFETCH) {
      const hits = await this.index.search(
        query,
        k,
        candidatePhotoIds ? { candidatePhotoIds } : undefined,
      );
      const accepted = hits.filter((h) => accept(h.photoId));
      if (accepted.length >= want || hits.length < k) return accepted.slice(0, want);
    }
  }

  /** Text-only matches still get their real ITC, so all candidates compare on one scale. */
  private async scoreTextOnly(query: Float32Array, candidates: Candidate[]): Promise<void> {
    const missing = candidates.filter((c) => c.itc === null);
    if (missing.length === 0) return;
    const hits = await this.index.search(query, missing.length, {
      candidatePhotoIds: new Set(missing.map((c) => c.photoId)),
    });
    const scores = new Map(hits.map((h) => [h.photoId, h.score]));
    for (const c of missing) c.itc = scores.get(c.photoId) ?? null;
  }

  private rerankDepth(retrieval: Blip2Retrieval, option: SearchOptions['rerank']): number {
    if (option === false) return 0;
    if (option !== undefined) return Math.max(0, Math.floor(option.k));
    // Known once text_features has opened its session: its provider is the one ITM would use.
    const accelerated = retrieval.model.providers.some((r) => r.provider !== 'cpu');
    return accelerated ? DEFAULT_RERANK_K : 0;
  }

  private async rerank(
    retrieval: Blip2Retrieval,
    text: string,
    top: { candidate: Candidate; path: string }[],
  ): Promise<void> {
    const ready: { candidate: Candidate; vision: VisionOutput }[] = [];
    for (const { candidate, path } of top) {
      const vision = await this.visionOutput(retrieval, candidate.photoId, path);
      // A file that cannot be read now (moved, changed) keeps its un-re-ranked score.
      if (vision) ready.push({ candidate, vision });
    }
    const first = ready[0];
    if (!first) return;
    const [tokens, hidden] = first.vision.dims;
    const batch = new Float32Array(ready.length * tokens * hidden);
    ready.forEach((r, i) => batch.set(r.vision.data, i * tokens * hidden));
    const { probabilities } = await retrieval.itm(
      floatTensor(batch, [ready.length, tokens, hidden]),
      ready.map(() => text),
    );
    ready.forEach(({ candidate }, i) => {
      candidate.itm = probabilities[i]!;
      candidate.score = candidate.base + candidate.itm;
    });
  }

  private async visionOutput(
    retrieval: Blip2Retrieval,
    photoId: number,
    path: string,
  ): Promise<VisionOutput | null> {
    const cached = this.visionCache.get(photoId);
    if (cached) return cached;
    let embeds;
    try {
      embeds = await encodeImages(
        retrieval.model,
        await loadPixelBatch(retrieval.model, [path], this.decode),
      );
    } catch (error) {
      if (error instanceof ImageDecodeError) return null;
      throw error;
    }
    const [, tokens, hidden] = embeds.dims as [number, number, number];
    const output: VisionOutput = { data: embeds.data.slice(), dims: [tokens, hidden] };
    embeds.dispose();
    this.visionCache.set(photoId, output);
    return output;
  }

  private photoIdForPath(path: string): number {
    const row = this.db
      .prepare<[string], { photoId: number | null }>(
        'SELECT photo_id AS photoId FROM files WHERE path = ?',
      )
      .get(path);
    if (row?.photoId == null) throw new Error(`${path} is not an indexed photo of this library`);
    return row.photoId;
  }

  private requireRetrieval(what: string): Blip2Retrieval {
    if (!this.retrieval) throw new Error(`${what} needs the search model (Blip2Retrieval)`);
    return this.retrieval;
  }
}

function byScore(a: Candidate, b: Candidate): number {
  return b.score - a.score || (b.itc ?? -Infinity) - (a.itc ?? -Infinity) || a.photoId - b.photoId;
}

function toHit(c: Candidate, display: { path: string; caption: string }): SearchHit {
  return {
    photoId: c.photoId,
    path: display.path,
    caption: display.caption,
    score: c.score,
    itc: c.itc,
    ...(c.itm !== undefined ? { itm: c.itm } : {}),
    ...(c.text !== undefined ? { text: c.text } : {}),
  };
}

function memoize(check: (photoId: number) => boolean): (photoId: number) => boolean {
  const known = new Map<number, boolean>();
  return (id) => {
    let value = known.get(id);
    if (value === undefined) {
      value = check(id);
      known.set(id, value);
    }
    return value;
  };
}
