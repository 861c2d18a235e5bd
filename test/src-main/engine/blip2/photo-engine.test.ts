import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_FILE } from '../../../../native-models/manifest.ts';
import { Blip2Captioner } from '../../../../src-main/engine/blip2/captioner.ts';
import { PhotoEngine } from '../../../../src-main/engine/blip2/photo-engine.ts';
import { Blip2Retrieval } from '../../../../src-main/engine/blip2/retrieval.ts';
import {
  GOLDEN_IMAGE_NAMES,
  TOLERANCE,
  compareClose,
  convertFixtures,
  golden,
  goldenFloats,
  imagePath,
  type ConvertedFixture,
  type GoldenTensor,
} from '../../../support/golden.ts';

const CPU = { providers: ['cpu'] as const, intraOpThreads: 1 };
const itmGolden = golden().itm_model as Record<string, GoldenTensor>;
const captionCase = (
  golden().opt_model as { generation: { name: string; new_tokens: number[][] }[] }
).generation.find((c) => c.name === 'caption_no_prompt')!;

describe('PhotoEngine', () => {
  let fixture: ConvertedFixture;
  beforeAll(() => {
    fixture = convertFixtures();
  });
  afterAll(() => fixture.cleanup());

  it('runs the vision tower once per photo when the checkpoints share it, with golden results', async () => {
    const engine = new PhotoEngine(
      await Blip2Captioner.load(fixture.opt, CPU),
      await Blip2Retrieval.load(fixture.itm, CPU),
    );
    expect(engine.visionShared).toBe(true);
    const results = await engine.analyze(GOLDEN_IMAGE_NAMES.map(imagePath), { maxNewTokens: 8 });
    const feats = new Float32Array(results.flatMap((r) => Array.from(r.imageFeats)));
    expect(
      compareClose(
        feats,
        goldenFloats(itmGolden.image_feats!),
        TOLERANCE.features.atol,
        TOLERANCE.features.rtol,
      ).ok,
    ).toBe(true);
    expect(results[0]!.caption.tokenIds).toEqual(captionCase.new_tokens[0]);
    // The retrieval model's own vision graph was never even loaded.
    expect(engine.retrieval.model.providers.map((p) => p.graph)).not.toContain('vision');
    await engine.captioner.release();
    await engine.retrieval.release();
  });

  it('runs each model’s own vision tower when the fingerprints differ', async () => {
    const manifestPath = join(fixture.itm, MANIFEST_FILE);
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      visionFingerprint: string;
    };
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, visionFingerprint: 'different' }));
    const engine = new PhotoEngine(
      await Blip2Captioner.load(fixture.opt, CPU),
      await Blip2Retrieval.load(fixture.itm, CPU),
    );
    expect(engine.visionShared).toBe(false);
    await engine.analyze([imagePath('img0_rgb')], { maxNewTokens: 2 });
    expect(engine.retrieval.model.providers.map((p) => p.graph)).toContain('vision');
    await engine.captioner.release();
    await engine.retrieval.release();
  });
});
