import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSightline, type CliResult } from '../../support/run-cli.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FIXTURE_DIR,
  TOLERANCE,
  compareClose,
  golden,
  goldenFloats,
  imagePath,
  type GoldenTensor,
} from '../../support/golden.ts';

const env = { ...process.env, SIGHTLINE_PROVIDER: 'cpu', SIGHTLINE_THREADS: '1' };

const sightline = (...args: string[]): Promise<CliResult> => runSightline(env, ...args);

const g = golden();
const generation = (
  g.opt_model as {
    generation: { name: string; new_tokens: number[][]; generated_text: string[] }[];
  }
).generation;
const itm = g.itm_model as Record<string, GoldenTensor> & { texts: string[] };

describe('sightline command line (bin/sightline.js)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sightline-cli-'));
    for (const model of ['opt', 'itm']) {
      const result = await sightline(
        'models',
        'convert',
        join(FIXTURE_DIR, model),
        join(dir, model),
        // The golden captions below are fp32's (parity with PyTorch).
        '--precision',
        'fp32',
        '--json',
      );
      expect(result.code, result.stderr).toBe(0);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('models convert --json prints the manifest and refuses to overwrite without --force', async () => {
    const again = await sightline('models', 'convert', join(FIXTURE_DIR, 'opt'), join(dir, 'opt'));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds a converted model.*--force/);
    const forced = await sightline(
      'models',
      'convert',
      join(FIXTURE_DIR, 'opt'),
      join(dir, 'opt'),
      '--force',
      '--precision',
      'fp32',
      '--json',
    );
    expect(JSON.parse(forced.stdout)).toMatchObject({
      architecture: 'Blip2ForConditionalGeneration',
      numQueryTokens: 8,
    });
  });

  it("models convert defaults to the provider's precision (int4 on CPU) and takes --precision", async () => {
    const auto = await sightline(
      'models',
      'convert',
      join(FIXTURE_DIR, 'itm'),
      join(dir, 'itm-auto'),
      '--provider',
      'cpu',
      '--json',
    );
    expect(auto.code, auto.stderr).toBe(0);
    expect(auto.stderr).toMatch(/precision int4 \(the default for cpu\)/);
    const manifest = JSON.parse(auto.stdout) as {
      precision: string;
      graphs: Record<string, { format: { linear: string } }>;
    };
    expect(manifest.precision).toBe('int4');
    expect(manifest.graphs.vision!.format.linear).toBe('int8');
    const fp16 = await sightline(
      'models',
      'convert',
      join(FIXTURE_DIR, 'itm'),
      join(dir, 'itm-fp16'),
      '--precision',
      'fp16',
      '--json',
    );
    expect(JSON.parse(fp16.stdout)).toMatchObject({ precision: 'fp16' });
    const bad = await sightline(
      'models',
      'convert',
      join(FIXTURE_DIR, 'itm'),
      join(dir, 'x'),
      '--precision',
      'int2',
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/int2.*invalid|invalid.*int2|Allowed choices/i);
    const matched = await sightline(
      'match',
      imagePath('img0_rgb'),
      'a photo',
      '--model',
      join(dir, 'itm-auto'),
      '--json',
    );
    expect(matched.code, matched.stderr).toBe(0);
    const scores = JSON.parse(matched.stdout) as { itc: number; itm: number };
    expect(scores.itm).toBeGreaterThan(0);
    expect(scores.itm).toBeLessThan(1);
    expect(Math.abs(scores.itc)).toBeLessThanOrEqual(1);
  });

  it('describe --json gives the golden greedy caption and token ids', async () => {
    const c = generation.find((x) => x.name === 'caption_no_prompt')!;
    const result = await sightline(
      'describe',
      imagePath('img0_rgb'),
      '--model',
      join(dir, 'opt'),
      '--max-new-tokens',
      '8',
      '--json',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      caption: c.generated_text[0]!.trim(),
      token_ids: c.new_tokens[0],
    });
    expect(result.stderr).toMatch(/ran on cpu/);
  });

  it('ask --json wraps the question as "Question: … Answer:" and gives the golden answer', async () => {
    const c = generation.find((x) => x.name === 'vqa_prompt')!;
    const result = await sightline(
      'ask',
      imagePath('img1_rgba'),
      'what is this?',
      '--model',
      join(dir, 'opt'),
      '--max-new-tokens',
      '8',
      '--json',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      answer: c.generated_text[0]!.trim(),
      token_ids: c.new_tokens[0],
    });
  });

  it('describe streams text without --json and accepts beam search options', async () => {
    const result = await sightline(
      'describe',
      imagePath('img0_rgb'),
      '--model',
      join(dir, 'opt'),
      '--max-new-tokens',
      '5',
      '--beams',
      '3',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.endsWith('\n')).toBe(true);
  });

  it('embed-image, embed-text and match give the golden ITC/ITM values', async () => {
    const image = await sightline(
      'embed-image',
      imagePath('img0_rgb'),
      '--model',
      join(dir, 'itm'),
      '--json',
    );
    const feats = (JSON.parse(image.stdout) as { image_feats: number[][] }).image_feats;
    const [, queries, dim] = itm.image_feats!.shape as [number, number, number];
    expect([feats.length, feats[0]!.length]).toEqual([queries, dim]);
    const expectedFeats = goldenFloats(itm.image_feats!).subarray(0, queries * dim);
    expect(
      compareClose(feats.flat(), expectedFeats, TOLERANCE.features.atol, TOLERANCE.features.rtol)
        .ok,
    ).toBe(true);

    const text = await sightline(
      'embed-text',
      itm.texts[0]!,
      '--model',
      join(dir, 'itm'),
      '--json',
    );
    const feat = (JSON.parse(text.stdout) as { text_feat: number[] }).text_feat;
    expect(compareClose(feat, goldenFloats(itm.text_feat!).subarray(0, dim), 1e-4, 1e-4).ok).toBe(
      true,
    );

    const match = await sightline(
      'match',
      imagePath('img0_rgb'),
      itm.texts[0]!,
      '--model',
      join(dir, 'itm'),
      '--json',
    );
    const scores = JSON.parse(match.stdout) as { itc: number; itm: number };
    expect(scores.itc).toBeCloseTo(goldenFloats(itm.itc_logits_per_image!)[0]!, 4);
    expect(scores.itm).toBeCloseTo(goldenFloats(itm.itm_probs!)[0]!, 4);
  });

  it('fails with a clear message and exit code 1 for bad input', async () => {
    const bad = await sightline(
      'describe',
      join(FIXTURE_DIR, '..', 'photos', 'bad', 'truncated.jpg'),
      '--model',
      join(dir, 'opt'),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Cannot decode image .*truncated/);
    const notConverted = await sightline(
      'describe',
      imagePath('img0_rgb'),
      '--model',
      join(FIXTURE_DIR, 'opt'),
    );
    expect(notConverted.code).toBe(1);
    expect(notConverted.stderr).toMatch(
      /is not a converted Sightline model.*sightline models convert/,
    );
    const wrongKind = await sightline(
      'match',
      imagePath('img0_rgb'),
      'x',
      '--model',
      join(dir, 'opt'),
    );
    expect(wrongKind.stderr).toMatch(
      /holds a Blip2ForConditionalGeneration; this command needs a converted Blip2ForImageTextRetrieval/,
    );
    const badFlag = await sightline(
      'describe',
      imagePath('img0_rgb'),
      '--model',
      join(dir, 'opt'),
      '--beams',
      '0',
    );
    expect(badFlag.code).not.toBe(0);
    expect(badFlag.stderr).toMatch(/--beams/);
  });
});
