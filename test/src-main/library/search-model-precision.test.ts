import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../../native-models/builder/convert.ts';
import type { Precision } from '../../../native-models/builder/precision.ts';
import { Blip2Retrieval } from '../../../src-main/engine/blip2/retrieval.ts';
import { modelKey } from '../../../src-main/library/models.ts';
import { FIXTURE_DIR } from '../../support/golden.ts';
import { CPU, createLibraryKit, type LibraryKit } from './indexer/library-test-kit.ts';

/**
 * The same Hub revision of the search model converted at two precisions: their image embeddings
 * differ, so switching precision must re-embed the library rather than mix the vectors.
 */
describe('a search model precision change is a model change', () => {
  let kit: LibraryKit;
  const work = mkdtempSync(join(tmpdir(), 'sightline-precision-'));
  const retrievals: Blip2Retrieval[] = [];

  async function searchModel(precision: Precision): Promise<Blip2Retrieval> {
    const dir = convertCheckpoint(join(FIXTURE_DIR, 'itm'), join(work, precision), {
      precision,
      repoId: 'Salesforce/blip2-itm-vit-g',
      revision: '0123456789abcdef0123456789abcdef01234567',
    }).outDir;
    const retrieval = await Blip2Retrieval.load(dir, CPU);
    retrievals.push(retrieval);
    return retrieval;
  }

  const embeddingKeys = (): string[] =>
    kit.db
      .prepare<[], { model_key: string }>(
        "SELECT DISTINCT model_key FROM embeddings WHERE kind = 'itc_image' ORDER BY model_key",
      )
      .all()
      .map((r) => r.model_key);

  beforeAll(async () => {
    kit = await createLibraryKit();
  }, 120_000);
  afterAll(async () => {
    await Promise.all(retrievals.map((r) => r.release()));
    await kit.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('keys differ by precision; fp32 keeps the repo@revision key it always had', async () => {
    const fp32 = await searchModel('fp32');
    const int8 = await searchModel('int8');
    expect(modelKey(fp32.model.manifest)).toBe(
      'Salesforce/blip2-itm-vit-g@0123456789abcdef0123456789abcdef01234567',
    );
    expect(modelKey(int8.model.manifest)).toBe(`${modelKey(fp32.model.manifest)}#int8`);
  });

  it('indexing with the int8 conversion re-embeds every photo the fp32 one embedded', async () => {
    const [fp32, int8] = retrievals as [Blip2Retrieval, Blip2Retrieval];
    const first = await kit.indexer({ retrieval: fp32 }).run([{ path: kit.photos }]);
    expect(first.analysed).toBeGreaterThan(0);
    expect(embeddingKeys()).toEqual([modelKey(fp32.model.manifest)]);
    const embedded = kit.db
      .prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM embeddings WHERE kind = 'itc_image'")
      .get()!.n;

    const switched = await kit.indexer({ retrieval: int8 }).run([{ path: kit.photos }]);
    expect(switched.analysed).toBe(embedded);
    expect(embeddingKeys()).toEqual(
      [modelKey(fp32.model.manifest), modelKey(int8.model.manifest)].sort(),
    );

    const again = await kit.indexer({ retrieval: int8 }).run([{ path: kit.photos }]);
    expect(again.analysed).toBe(0);
  }, 300_000);
});
