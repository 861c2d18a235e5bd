import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../../native-models/onnx/graph-builder.ts';
import type { GraphFormat } from '../../native-models/builder/precision.ts';
import { GraphSession } from '../../src-main/engine/runtime/ort.ts';
import type { Tensor } from '../../src-main/engine/runtime/tensor.ts';

/** Builds a small graph with the builder, runs it once on onnxruntime's CPU provider. */
export async function runOneGraph(
  format: GraphFormat,
  build: (g: GraphBuilder) => void,
  feeds: Readonly<Record<string, Tensor>>,
): Promise<{ outputs: Record<string, Tensor>; weightBytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sightline-graph-'));
  try {
    const g = new GraphBuilder('test', join(dir, 'test.onnx.data'), format);
    build(g);
    g.save(join(dir, 'test.onnx'), 'test graph');
    const { session } = await GraphSession.open(join(dir, 'test.onnx'), {
      providers: ['cpu'],
      intraOpThreads: 1,
    });
    try {
      return { outputs: await session.run(feeds), weightBytes: g.weightBytes };
    } finally {
      await session.release();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Deterministic N(0, σ²) values (Box–Muller over a small LCG), so failures reproduce. */
export function gaussian(count: number, sigma: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let state = seed >>> 0 || 1;
  const uniform = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 1) / 4294967297;
  };
  for (let i = 0; i < count; i++) {
    out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) * sigma;
  }
  return out;
}

/** x [M, K] @ wᵀ with w [N, K] row-major, in float64. */
export function matmulTransposed(
  x: Float32Array,
  w: Float32Array,
  m: number,
  k: number,
  n: number,
): Float64Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += x[i * k + t]! * w[j * k + t]!;
      y[i * n + j] = s;
    }
  }
  return y;
}

/** max |a - b| / max |b|: one number that reads as "relative to the output's scale". */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

/** ‖a - b‖₂ / ‖b‖₂. */
export function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}
