/** Small numeric helpers over one row of scores. Computed in float64 for stable ranking. */

/** Index of the largest score; the first one on ties, like `torch.argmax`. */
export function argmax(scores: ArrayLike<number>): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const value = scores[i]!;
    if (value > bestValue) {
      bestValue = value;
      best = i;
    }
  }
  return best;
}

function maxOf(scores: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < scores.length; i++) if (scores[i]! > max) max = scores[i]!;
  return max;
}

/** log_softmax; a row of all -Infinity stays -Infinity everywhere (instead of NaN). */
export function logSoftmax(scores: ArrayLike<number>): Float64Array {
  const out = new Float64Array(scores.length);
  const max = maxOf(scores);
  if (max === -Infinity) return out.fill(-Infinity);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += Math.exp(scores[i]! - max);
  const logSum = max + Math.log(sum);
  for (let i = 0; i < scores.length; i++) out[i] = scores[i]! - logSum;
  return out;
}

export function softmax(scores: ArrayLike<number>): Float64Array {
  const out = new Float64Array(scores.length);
  const max = maxOf(scores);
  if (max === -Infinity) return out;
  let sum = 0;
  for (let i = 0; i < scores.length; i++) {
    out[i] = Math.exp(scores[i]! - max);
    sum += out[i]!;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / sum;
  return out;
}

/** Copies row `row` of a [rows, width] matrix into a fresh float64 buffer the caller may modify. */
export function copyRow(matrix: Float32Array, row: number, width: number): Float64Array {
  return Float64Array.from(matrix.subarray(row * width, (row + 1) * width));
}
