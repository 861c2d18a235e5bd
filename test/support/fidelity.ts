import type { OptLanguageModel } from '../../src-main/engine/blip2/opt-language-model.ts';
import { forEachForcedStep, type QueryPrompt } from './golden.ts';

/**
 * Agreement measures between a precision and its fp32 reference, shared by the tiny-fixture
 * fidelity test and whatever runs the same bounds on full-size weights.
 */

/** Smallest cosine over the leading-axis rows of two equally shaped tensors. */
export function minRowCosine(a: Float32Array, b: Float32Array, rows: number): number {
  const size = a.length / rows;
  let worst = 1;
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = r * size; i < (r + 1) * size; i++) {
      dot += a[i]! * b[i]!;
      na += a[i]! ** 2;
      nb += b[i]! ** 2;
    }
    worst = Math.min(worst, dot / Math.sqrt(na * nb));
  }
  return worst;
}

export function argmaxRows(logits: Float32Array, rows: number): number[] {
  const vocab = logits.length / rows;
  return Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let v = 1; v < vocab; v++)
      if (logits[r * vocab + v]! > logits[r * vocab + best]!) best = v;
    return best;
  });
}

/**
 * Teacher-forced top-1 agreement of `lm` with reference tokens [rows][steps] (the reference's own
 * greedy tokens): prefill, then feed the reference token of each step and count the steps whose
 * argmax is that token, per row up to and including its `eos`.
 */
export async function teacherForcedAgreement(
  lm: OptLanguageModel,
  prompt: QueryPrompt,
  attentionMask: readonly (readonly number[])[],
  tokens: readonly (readonly number[])[],
  eos: number,
): Promise<{ agree: number; total: number }> {
  let agree = 0;
  let total = 0;
  const finished = tokens.map(() => false);
  await forEachForcedStep(lm, prompt, attentionMask, tokens, tokens[0]!.length, (logits, s) => {
    const predicted = argmaxRows(logits, tokens.length);
    tokens.forEach((row, r) => {
      if (finished[r]) return;
      total++;
      if (predicted[r] === row[s]) agree++;
      if (row[s] === eos) finished[r] = true;
    });
  });
  return { agree, total };
}
