import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeImages, loadPixelBatch } from '../../../../src-main/engine/blip2/vision-encoder.ts';
import { openSearchIndex } from '../../../../src-main/library/search/open-index.ts';
import {
  LibrarySearch,
  TEXT_WEIGHT,
  type PhotoVectorIndex,
  type SearchHit,
} from '../../../../src-main/library/search/search-service.ts';
import type { VectorEngine, VectorIndex } from '../../../../src-main/library/vector/types.ts';
import { buildFixtureLibrary, maxSimilarity, type FixtureLibrary } from './library-fixture.ts';

let lib: FixtureLibrary;
let index: VectorIndex;
let search: LibrarySearch;

beforeAll(async () => {
  lib = await buildFixtureLibrary();
});
afterAll(async () => {
  await lib.cleanup();
});

const id = (name: string): number => lib.ids.get(name)!;
const ids = (hits: SearchHit[]): number[] => hits.map((h) => h.photoId);

async function textFeature(text: string): Promise<Float32Array> {
  const t = await lib.retrieval.textFeatures([text]);
  return t.data.slice();
}

/** Visible embedded photos ranked by the naive max-sim over their stored vectors. */
function exactRanking(
  query: Float32Array,
  keep: (name: string) => boolean = () => true,
): { photoId: number; score: number }[] {
  return [...lib.ids.entries()]
    .filter(([name, photoId]) => name !== 'gone' && lib.stored.has(photoId) && keep(name))
    .map(([, photoId]) => ({ photoId, score: maxSimilarity(lib.stored.get(photoId)!, query) }))
    .sort((a, b) => b.score - a.score);
}

function expectSameRanking(
  hits: SearchHit[],
  expected: { photoId: number; score: number }[],
): void {
  expect(hits.map((h) => h.itc)).toEqual(expected.map((e): unknown => expect.closeTo(e.score, 5)));
  expect(new Set(ids(hits))).toEqual(new Set(expected.map((e) => e.photoId)));
  for (let i = 1; i < hits.length; i++)
    expect(hits[i - 1]!.score).toBeGreaterThanOrEqual(hits[i]!.score);
}

// A text whose words occur in no caption, tag, file name or keyword: pure vector search.
const NO_TEXT_MATCH = 'qqq zzz';

const ENGINES: VectorEngine[] = ['exact', 'sqlite-vss', 'sqlite-vec'];

describe.each(ENGINES)('with the %s vector engine', (engine) => {
  beforeAll(() => {
    index = openSearchIndex(lib.db, lib.modelKey, { engine })!.index;
    search = new LibrarySearch(lib.db, {
      retrieval: lib.retrieval,
      modelKey: lib.modelKey,
      vectorIndex: index,
    });
  });
  afterAll(() => index.close());

  describe('LibrarySearch.search', () => {
    it('ranks by exact max-over-queries ITC, leaving out photos whose files are all missing', async () => {
      const hits = await search.search(NO_TEXT_MATCH, { limit: 100, rerank: false });
      const expected = exactRanking(await textFeature(NO_TEXT_MATCH));
      expectSameRanking(hits, expected);
      expect(ids(hits)).not.toContain(id('gone'));
      for (const hit of hits) {
        expect(hit.score).toBe(hit.itc);
        expect(hit.text).toBeUndefined();
        expect(hit.itm).toBeUndefined();
      }
      const top3 = await search.search(NO_TEXT_MATCH, { limit: 3, rerank: false });
      expect(ids(top3)).toEqual(ids(hits).slice(0, 3));
    });

    it('shows the indexed file (shortest first) and the user caption over the model caption', async () => {
      const hits = await search.search(NO_TEXT_MATCH, { limit: 100, rerank: false });
      const byId = new Map(hits.map((h) => [h.photoId, h]));
      expect(byId.get(id('building'))!.path).toMatch(/holiday[\\/]building-rotated\.jpg$/);
      expect(byId.get(id('chelsea'))!.path).toMatch(/pets[\\/]chelsea\.png$/);
      expect(byId.get(id('chelsea'))!.caption).toBe('our tabby chelsea');
      expect(byId.get(id('coffee'))!.caption).toBe('a cup of coffee on a saucer');
    });

    it('applies each filter in SQL before the vector search', async () => {
      const query = await textFeature(NO_TEXT_MATCH);
      const cases: [Parameters<LibrarySearch['search']>[1], string[]][] = [
        [{ filters: { camera: 'canon' } }, ['building']],
        [{ filters: { camera: 'iphone' } }, ['chelsea']],
        [{ filters: { hasGps: true } }, ['building', 'rocket']],
        [{ filters: { from: '2019-07-14', to: '2019-08' } }, ['building', 'baboon']],
        [{ filters: { to: '2019' } }, ['building', 'baboon', 'astronaut']],
        [{ filters: { from: '2020' } }, ['chelsea', 'rocket']],
        [{ filters: { tag: 'ANIMAL' } }, ['chelsea', 'baboon']],
        [{ filters: { tag: 'cat', camera: 'apple' } }, ['chelsea']],
      ];
      for (const [options, names] of cases) {
        const hits = await search.search(NO_TEXT_MATCH, { ...options, limit: 100, rerank: false });
        expectSameRanking(
          hits,
          exactRanking(query, (name) => names.includes(name)),
        );
      }
      const holiday = await search.search(NO_TEXT_MATCH, {
        filters: { folder: pathOf('baboon', '2019') },
        limit: 100,
        rerank: false,
      });
      expect(new Set(ids(holiday))).toEqual(new Set([id('building'), id('baboon')]));
      const none = await search.search(NO_TEXT_MATCH, { filters: { camera: 'leica' } });
      expect(none).toEqual([]);
    });

    it('does not match a folder that merely shares a prefix', async () => {
      const hits = await search.search(NO_TEXT_MATCH, {
        filters: { folder: `${pathOf('baboon', '2019')}9` },
        rerank: false,
      });
      expect(hits).toEqual([]);
    });

    it('adds full-text matches: boosted by TEXT_WEIGHT, found even without an embedding', async () => {
      const query = await textFeature('butterfly insect');
      const hits = await search.search('butterfly insect', { limit: 100, rerank: false });
      const butterfly = hits.find((h) => h.photoId === id('butterfly'))!;
      // Not embedded: found by its caption, tag and file name only.
      expect(butterfly).toMatchObject({ itc: null, text: 1, score: TEXT_WEIGHT });
      const exact = exactRanking(query);
      expect(hits).toHaveLength(exact.length + 1);
      for (const hit of hits) {
        if (hit.photoId === id('butterfly')) continue;
        expect(hit.text).toBeUndefined();
        expect(hit.score).toBeCloseTo(maxSimilarity(lib.stored.get(hit.photoId)!, query), 5);
      }
    });

    it('gives text-only matches (missed by the vector index) their exact ITC', async () => {
      // An index with poor recall: at most 2 photos unless asked about specific candidates.
      const shallow: PhotoVectorIndex = {
        search: (q, k, options) => index.search(q, options ? k : Math.min(k, 2), options),
      };
      const narrow = new LibrarySearch(lib.db, {
        retrieval: lib.retrieval,
        modelKey: lib.modelKey,
        vectorIndex: shallow,
      });
      const query = await textFeature('coffee');
      const hits = await narrow.search('coffee', { limit: 100, rerank: false });
      const coffee = hits.find((h) => h.photoId === id('coffee'))!;
      const itc = maxSimilarity(lib.stored.get(id('coffee'))!, query);
      expect(coffee.itc).toBeCloseTo(itc, 5);
      expect(coffee.text).toBe(1);
      expect(coffee.score).toBeCloseTo(itc + TEXT_WEIGHT, 5);
      const top2 = exactRanking(query).slice(0, 2);
      const expectedIds = new Set([...top2.map((e) => e.photoId), id('coffee')]);
      expect(new Set(ids(hits))).toEqual(expectedIds);
    });

    it('normalises bm25 per query and never returns hidden photos found by text', async () => {
      // "cat": chelsea's tag and 'gone' (all files missing) both match.
      const hits = await search.search('cat', { limit: 100, rerank: false });
      expect(ids(hits)).not.toContain(id('gone'));
      const texts = hits.filter((h) => h.text !== undefined);
      expect(texts.map((h) => h.photoId)).toEqual([id('chelsea')]);
      expect(texts[0]!.text).toBe(1);
    });

    it('re-ranks the top k by ITM probability + ITC (vision recomputed from the file)', async () => {
      const text = NO_TEXT_MATCH;
      const plain = await search.search(text, { limit: 100, rerank: false });
      const k = 3;
      const reranked = await search.search(text, { limit: 100, rerank: { k } });
      const topK = plain.slice(0, k);
      const withItm = reranked.filter((h) => h.itm !== undefined);
      expect(new Set(ids(withItm))).toEqual(new Set(ids(topK)));
      for (const hit of withItm) {
        const pixels = await loadPixelBatch(lib.retrieval.model, [hit.path]);
        const embeds = await encodeImages(lib.retrieval.model, pixels);
        const { probabilities } = await lib.retrieval.itm(embeds, [text]);
        expect(hit.itm).toBeCloseTo(probabilities[0]!, 5);
        expect(hit.score).toBeCloseTo(hit.itc! + probabilities[0]!, 5);
      }
      // Re-ranked hits come first, ordered by their new score; the rest keep ITC order.
      expect(ids(reranked.slice(0, k))).toEqual(
        [...withItm].sort((a, b) => b.score - a.score).map((h) => h.photoId),
      );
      expect(ids(reranked.slice(k))).toEqual(ids(plain.slice(k)));
      // Cached vision outputs give the same answer the second time.
      const again = await search.search(text, { limit: 100, rerank: { k } });
      expect(again).toEqual(reranked);
    });

    it('does not re-rank by default on CPU', async () => {
      const hits = await search.search(NO_TEXT_MATCH, { limit: 5 });
      expect(hits.every((h) => h.itm === undefined)).toBe(true);
    });
  });

  describe('LibrarySearch.similar', () => {
    function exactPairs(photoId: number): { photoId: number; score: number }[] {
      const source = lib.stored.get(photoId)!;
      const dim = lib.dimensions;
      return exactRanking(new Float32Array(dim))
        .filter((e) => e.photoId !== photoId)
        .map((e) => {
          let best = -Infinity;
          for (let q = 0; q < lib.rows; q++) {
            const vector = source.subarray(q * dim, (q + 1) * dim);
            best = Math.max(best, maxSimilarity(lib.stored.get(e.photoId)!, vector));
          }
          return { photoId: e.photoId, score: best };
        })
        .sort((a, b) => b.score - a.score);
    }

    it('ranks by max over query-vector pairs and leaves the photo itself out', async () => {
      const hits = await search.similar(id('chelsea'), { limit: 100 });
      expectSameRanking(hits, exactPairs(id('chelsea')));
      expect(ids(hits)).not.toContain(id('chelsea'));
      expect(ids(hits)).not.toContain(id('gone'));
      const top2 = await search.similar(id('chelsea'), { limit: 2 });
      expect(ids(top2)).toEqual(ids(hits).slice(0, 2));
    });

    it('accepts a file path and precomputed features', async () => {
      const byPath = await search.similar(pathOf('baboon'), { limit: 100 });
      expect(byPath).toEqual(await search.similar(id('baboon'), { limit: 100 }));
      const features = await search.similarToFeatures(lib.stored.get(id('baboon'))!, lib.rows, {
        limit: 100,
      });
      // Not excluded this time, and a photo is most similar to itself.
      expect(features[0]!.photoId).toBe(id('baboon'));
      expect(features[0]!.score).toBeCloseTo(1, 2);
      expect(ids(features.slice(1))).toEqual(ids(byPath));
    });

    it('explains what is wrong with an unknown path or an unembedded photo', async () => {
      await expect(search.similar('/nowhere.jpg')).rejects.toThrow(/not an indexed photo/);
      await expect(search.similar(id('butterfly'))).rejects.toThrow(/no search embedding/);
    });
  });
});

function pathOf(name: string, folder?: string): string {
  const row = lib.db
    .prepare<[number], { path: string }>(
      "SELECT path FROM files WHERE photo_id = ? AND status = 'indexed'",
    )
    .get(id(name))!;
  if (folder === undefined) return row.path;
  const at = row.path.lastIndexOf(folder);
  return row.path.slice(0, at + folder.length);
}
