import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../../../native-models/builder/convert.ts';
import type { Precision } from '../../../../native-models/builder/precision.ts';
import { MANIFEST_FILE } from '../../../../native-models/manifest.ts';
import { Blip2Captioner } from '../../../../src-main/engine/blip2/captioner.ts';
import { Blip2Retrieval, itcScore } from '../../../../src-main/engine/blip2/retrieval.ts';
import { encodeImages, loadPixelBatch } from '../../../../src-main/engine/blip2/vision-encoder.ts';
import { runtimeOptionsFrom } from '../../../../src-main/engine/runtime/providers.ts';

/**
 * Hugging Face's own integration expectations on the real Salesforce weights. Runs only when
 * SIGHTLINE_REAL_MODELS names a folder holding `blip2-opt-2.7b/` and `blip2-itm-vit-g/` (HF
 * checkpoint folders, e.g. from `huggingface-cli download Salesforce/blip2-opt-2.7b --local-dir …`)
 * and `demo.jpg` (the BLIP demo image HF's tests use). Conversions are cached in
 * `<folder>/.sightline-converted/` because they take minutes.
 */
const root = process.env.SIGHTLINE_REAL_MODELS;
const runtime = runtimeOptionsFrom();

function converted(name: string, precision: Precision = 'fp32'): string {
  const source = join(root!, name);
  const folder = precision === 'fp32' ? name : `${name}-${precision}`;
  const target = join(root!, '.sightline-converted', folder);
  if (!existsSync(join(target, MANIFEST_FILE))) {
    convertCheckpoint(source, target, { force: true, precision });
  }
  return target;
}

const DEMO_TEXT = 'A woman and her dog sitting in a beach';

describe.skipIf(!root)('real Salesforce BLIP-2 checkpoints (SIGHTLINE_REAL_MODELS)', () => {
  let captioner: Blip2Captioner;
  let retrieval: Blip2Retrieval;
  const demo = (): string => join(root!, 'demo.jpg');

  beforeAll(async () => {
    captioner = await Blip2Captioner.load(converted('blip2-opt-2.7b'), runtime);
    retrieval = await Blip2Retrieval.load(converted('blip2-itm-vit-g'), runtime);
  }, 3_600_000);
  afterAll(async () => {
    await captioner.release();
    await retrieval.release();
  });

  it('blip2-opt-2.7b captions demo.jpg as HF does (greedy)', async () => {
    const embeds = await encodeImages(
      captioner.model,
      await loadPixelBatch(captioner.model, [demo()]),
    );
    const [result] = await captioner.generate(embeds, [null], { maxNewTokens: 30 });
    // tests/models/blip_2/test_modeling_blip_2.py: [2, 102, 693, 2828, 15, 5, 4105, 19, 10, 2335, 50118]
    expect(result!.tokenIds).toEqual([102, 693, 2828, 15, 5, 4105, 19, 10, 2335, 50118]);
    expect(result!.text).toBe('a woman sitting on the beach with a dog');
  }, 600_000);

  it('blip2-itm-vit-g scores "A woman and her dog sitting in a beach": ITM ≈ 0.976, ITC ≈ 0.441', async () => {
    const text = DEMO_TEXT;
    const embeds = await encodeImages(
      retrieval.model,
      await loadPixelBatch(retrieval.model, [demo()]),
    );
    const [imageFeats, textFeat, itm] = await Promise.all([
      retrieval.imageFeatures(embeds),
      retrieval.textFeatures([text]),
      retrieval.itm(embeds, [text]),
    ]);
    expect(itm.probabilities[0]).toBeCloseTo(0.9762, 2);
    expect(itcScore(imageFeats.data, textFeat.data)).toBeCloseTo(0.4406, 2);
  }, 600_000);
});

/**
 * The same expectations at each quantized precision. Not yet run: no machine here has had the
 * weights. What a faithful quantization should keep: fp16 and int8 the exact greedy caption
 * (relative errors per matmul ~5e-4 and ~7e-3 in linear.test.ts and the microbenchmark), int4 the
 * caption's content words (~9 % weight noise may change a function word); for search, ITM within
 * 0.02 of 0.976 (issue 9) and ITC within 0.02 of 0.441 at every precision. A failure here is the
 * signal to calibrate better than round-to-nearest.
 */
describe.skipIf(!root).each(['fp16', 'int8', 'int4'] as const)(
  'real Salesforce BLIP-2 checkpoints at %s (SIGHTLINE_REAL_MODELS)',
  (precision) => {
    let captioner: Blip2Captioner;
    let retrieval: Blip2Retrieval;
    const demo = (): string => join(root!, 'demo.jpg');

    beforeAll(async () => {
      captioner = await Blip2Captioner.load(converted('blip2-opt-2.7b', precision), runtime);
      retrieval = await Blip2Retrieval.load(converted('blip2-itm-vit-g', precision), runtime);
    }, 3_600_000);
    afterAll(async () => {
      await captioner.release();
      await retrieval.release();
    });

    it('captions demo.jpg', async () => {
      const embeds = await encodeImages(
        captioner.model,
        await loadPixelBatch(captioner.model, [demo()]),
      );
      const [result] = await captioner.generate(embeds, [null], { maxNewTokens: 30 });
      if (precision === 'int4') {
        expect(result!.text).toMatch(/\bwoman\b.*\bbeach\b|\bbeach\b.*\bwoman\b/);
        expect(result!.text).toMatch(/\bdog\b/);
      } else {
        expect(result!.text).toBe('a woman sitting on the beach with a dog');
      }
    }, 600_000);

    it('scores the demo pair: ITM within 0.02 of 0.976, ITC within 0.02 of 0.441', async () => {
      const embeds = await encodeImages(
        retrieval.model,
        await loadPixelBatch(retrieval.model, [demo()]),
      );
      const [imageFeats, textFeat, itm] = await Promise.all([
        retrieval.imageFeatures(embeds),
        retrieval.textFeatures([DEMO_TEXT]),
        retrieval.itm(embeds, [DEMO_TEXT]),
      ]);
      expect(Math.abs(itm.probabilities[0]! - 0.9762)).toBeLessThanOrEqual(0.02);
      expect(Math.abs(itcScore(imageFeats.data, textFeat.data) - 0.4406)).toBeLessThanOrEqual(0.02);
    }, 600_000);
  },
);
