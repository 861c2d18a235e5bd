import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { convertCheckpoint } from '../../native-models/builder/convert.ts';
import type { Precision } from '../../native-models/builder/precision.ts';
import type { OptLanguageModel } from '../../src-main/engine/blip2/opt-language-model.ts';
import type { Tensor } from '../../src-main/engine/runtime/tensor.ts';

/** The tiny BLIP-2 fixture copied from the shared golden set (see its README). */
export const FIXTURE_DIR = join(import.meta.dirname, '..', 'fixtures', 'blip2-tiny');

export interface GoldenTensor {
  shape: number[];
  dtype: 'float32';
  data: (number | string)[];
}

type Json = Record<string, unknown>;
let cached: Json | undefined;

export function golden(): Json {
  cached ??= JSON.parse(readFileSync(join(FIXTURE_DIR, 'golden.json'), 'utf8')) as Json;
  return cached;
}

/** Golden floats are shortest round-trip decimals of float32 values. */
export function goldenFloats(t: GoldenTensor): Float32Array {
  return Float32Array.from(t.data, (v) => Number(v));
}

export interface Closeness {
  maxAbs: number;
  worstIndex: number;
  ok: boolean;
}

/** |a - e| <= atol + rtol * |e| elementwise (numpy.allclose). */
export function compareClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol: number,
): Closeness {
  if (actual.length !== expected.length)
    throw new Error(`length ${actual.length} vs expected ${expected.length}`);
  let maxAbs = 0;
  let worstIndex = -1;
  let ok = true;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= atol + rtol * Math.abs(expected[i]!))) ok = false;
    if (!(diff <= maxAbs)) {
      maxAbs = diff;
      worstIndex = i;
    }
  }
  return { maxAbs, worstIndex, ok };
}

/** Tolerances from the fixture README. */
export const TOLERANCE = {
  features: { atol: 1e-4, rtol: 1e-4 },
  logits: { atol: 5e-4, rtol: 1e-4 },
  scores: { atol: 1e-4, rtol: 0 },
} as const;

export interface ConvertedFixture {
  opt: string;
  itm: string;
  cleanup(): void;
}

/** Converts both fixture checkpoints through the same path users take (`models convert`). */
export function convertFixtures(precision: Precision = 'fp32'): ConvertedFixture {
  const root = mkdtempSync(join(tmpdir(), 'sightline-fixture-'));
  const opt = convertCheckpoint(join(FIXTURE_DIR, 'opt'), join(root, 'opt'), { precision }).outDir;
  const itm = convertCheckpoint(join(FIXTURE_DIR, 'itm'), join(root, 'itm'), { precision }).outDir;
  return { opt, itm, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export const GOLDEN_IMAGE_NAMES = ['img0_rgb', 'img1_rgba', 'img2_gray'] as const;

export function imagePath(name: string): string {
  const file = readdirImages().find((f) => f.startsWith(`${name}.`));
  if (!file) throw new Error(`no fixture image ${name}`);
  return join(FIXTURE_DIR, 'images', file);
}

function readdirImages(): string[] {
  const images = (golden().preprocessing as { images: { file: string }[] }).images;
  return images.map((i) => i.file.replace(/^images\//, ''));
}

export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: { atol: number; rtol: number },
): void {
  const result = compareClose(actual, expected, tol.atol, tol.rtol);
  expect(result.ok, `max |diff| ${result.maxAbs} at ${result.worstIndex}`).toBe(true);
}

export type QueryPrompt = {
  queryEmbeds: Tensor<'float32'>;
  tokenIds: readonly (readonly number[])[];
};

/**
 * Teacher forcing: prefills `prompt`, then feeds the reference's `tokens` [rows][steps] one step
 * at a time through the KV cache, handing `visit` the last-position logits [rows, vocab] of
 * each of `steps` steps (step s predicts tokens[*][s]).
 */
export async function forEachForcedStep(
  lm: OptLanguageModel,
  prompt: QueryPrompt,
  attentionMask: readonly (readonly number[])[],
  tokens: readonly (readonly number[])[],
  steps: number,
  visit: (logits: Float32Array, step: number) => void,
): Promise<void> {
  const mask = attentionMask.map((r) => [...r]);
  let out = await lm.prefill(
    prompt.queryEmbeds.data,
    prompt.queryEmbeds.dims as [number, number, number],
    mask,
    prompt.tokenIds,
  );
  for (let s = 0; s < steps; s++) {
    visit(out.logits, s);
    if (s === steps - 1) break;
    mask.forEach((r) => r.push(1));
    out = await lm.step(
      tokens.map((t) => t[s]!),
      mask,
      out.cache,
    );
  }
  out.cache.dispose();
}

/** Teacher forcing, checking every step's logits against `stepLogits` [steps, batch, vocab]. */
export async function expectLogitsAlongTokens(
  lm: OptLanguageModel,
  prompt: QueryPrompt,
  attentionMask: readonly (readonly number[])[],
  tokens: readonly (readonly number[])[],
  stepLogits: { shape: readonly number[]; values: Float32Array },
): Promise<void> {
  const [steps, batch, vocab] = stepLogits.shape as [number, number, number];
  await forEachForcedStep(lm, prompt, attentionMask, tokens, steps, (logits, s) =>
    expectClose(
      logits,
      stepLogits.values.subarray(s * batch * vocab, (s + 1) * batch * vocab),
      TOLERANCE.logits,
    ),
  );
}
