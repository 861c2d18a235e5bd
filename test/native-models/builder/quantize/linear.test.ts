import { describe, expect, it } from 'vitest';
import { makeLinear } from '../../../../native-models/builder/ops.ts';
import type { GraphFormat, LinearFormat } from '../../../../native-models/builder/precision.ts';
import {
  dequantizeBlockwise,
  quantizeBlockwise,
} from '../../../../native-models/builder/quantize/block-quantize.ts';
import { roundThroughFloat16 } from '../../../../native-models/builder/quantize/float16.ts';
import {
  QUANT_SCHEME,
  WEIGHT_ONLY_SETTINGS,
} from '../../../../native-models/builder/quantize/linear.ts';
import {
  dequantizePerColumnInt8,
  quantizePerColumnInt8,
} from '../../../../native-models/builder/quantize/per-column.ts';
import { ElemType } from '../../../../native-models/onnx/proto.ts';
import { floatTensor } from '../../../../src-main/engine/runtime/tensor.ts';
import {
  gaussian,
  matmulTransposed,
  maxRelativeError,
  relativeL2,
  runOneGraph,
} from '../../../support/one-graph.ts';

// A Linear as the models use it: 3-D activations [B, T, K], HF weight [N, K], a bias. K = 96 is
// three 32-blocks; N = 40.
const B = 2;
const T = 3;
const K = 96;
const N = 40;
const x = gaussian(B * T * K, 1, 1);
const weight = gaussian(N * K, 0.05, 2);
const bias = gaussian(N, 0.1, 3);

async function runLinear(linear: LinearFormat, activations: 'fp32' | 'fp16' = 'fp32') {
  const format: GraphFormat = { linear, table: 'fp32', activations };
  const { outputs, weightBytes } = await runOneGraph(
    format,
    (g) => {
      const input = g.input('x', ElemType.FLOAT, [B, T, K]);
      const y = makeLinear(
        g,
        '/linear',
        input,
        { name: 'w', shape: [N, K], data: weight, storedDtype: 'F32' },
        { name: 'b', shape: [N], data: bias, storedDtype: 'F32' },
      );
      g.output(y, 'y', ElemType.FLOAT, [B, T, N]);
    },
    { x: floatTensor(x, [B, T, K]) },
  );
  return { y: outputs.y!.data as Float32Array, weightBytes };
}

function reference(w: Float32Array): Float64Array {
  const y = matmulTransposed(x, w, B * T, K, N);
  for (let i = 0; i < y.length; i++) y[i]! += bias[i % N]!;
  return y;
}

describe('makeLinear in each weight format (onnxruntime CPU vs the dequantized weights)', () => {
  it('fp32 is the plain product', async () => {
    const { y } = await runLinear('fp32');
    expect(maxRelativeError(y, reference(weight))).toBeLessThan(1e-6);
  });

  for (const format of ['int4', 'int8'] as const) {
    it(`${format}: MatMulNBits matches x·dequant(W)ᵀ + b; error vs fp32 W within bound`, async () => {
      const { bits, blockSize } = WEIGHT_ONLY_SETTINGS[format];
      const q = quantizeBlockwise(weight, N, K, bits, blockSize, QUANT_SCHEME);
      const { y, weightBytes } = await runLinear(format);
      // accuracy_level 4 quantizes each 32-block of x to int8 (step max|x_block|/127): with
      // |x| ≲ 4σ that is ≲ 1.6 % of one term; summed over K with random signs the measured error
      // is ~0.65 % of max|y|. 1.5 % bounds it without hiding a wrong layout (which gives ~100 %).
      expect(maxRelativeError(y, reference(dequantizeBlockwise(q)))).toBeLessThan(0.015);
      // Against the original weights: the rounding noise of the format (≈9 % int4, ≈0.5 % int8
      // relative L2 on Gaussian weights) on top.
      expect(relativeL2(y, reference(weight))).toBeLessThan(format === 'int4' ? 0.12 : 0.015);
      // Stored size: K·N·bits/8 + a float scale and a zero point per block (+ bias).
      const blocks = N * (K / blockSize);
      expect(weightBytes).toBeLessThan((N * K * bits) / 8 + blocks * 5 + N * 4 + 3 * 64);
    });
  }

  it('dynamic-int8: DynamicQuantizeMatMul matches x·dequant(W)ᵀ + b', async () => {
    const q = quantizePerColumnInt8(weight, N, K);
    const { y } = await runLinear('dynamic-int8');
    // x is quantized per tensor to uint8 (step (max-min)/255 ≈ 0.8 % of max|x|): a larger
    // activation error than MatMulNBits' per-block one; measured ~1 %, bound 3 %.
    expect(maxRelativeError(y, reference(dequantizePerColumnInt8(q)))).toBeLessThan(0.03);
    expect(relativeL2(y, reference(weight))).toBeLessThan(0.03);
  });

  it('one massive-activation token: MatMulNBits int8 keeps the other tokens, dynamic-int8 does not', async () => {
    // Why the ViT's int8 is MatMulNBits: large ViTs have a few tokens with activations ~100×
    // the rest. Per-tensor activation scales (DynamicQuantizeMatMul) then round the ordinary
    // tokens to a handful of levels; per-block scales do not care. Measured: 7.4e-3 vs 0.56.
    const rows = 17;
    const massive = gaussian(rows * K, 1, 4);
    for (let k = 0; k < K; k++) massive[k]! *= 100;
    const ordinary = (y: Float32Array): Float32Array => y.subarray(N);
    const results: Record<string, number> = {};
    for (const linear of ['int8', 'dynamic-int8'] as const) {
      const { outputs } = await runOneGraph(
        { linear, table: 'fp32', activations: 'fp32' },
        (g) => {
          const input = g.input('x', ElemType.FLOAT, [rows, K]);
          const w = { name: 'w', shape: [N, K], data: weight, storedDtype: 'F32' as const };
          g.output(makeLinear(g, '/linear', input, w), 'y', ElemType.FLOAT, [rows, N]);
        },
        { x: floatTensor(massive, [rows, K]) },
      );
      const y = outputs.y!.data as Float32Array;
      results[linear] = relativeL2(
        ordinary(y),
        ordinary(Float32Array.from(matmulTransposed(massive, weight, rows, K, N))),
      );
    }
    expect(results.int8).toBeLessThan(0.02);
    expect(results['dynamic-int8']).toBeGreaterThan(0.2);
  });

  it('fp16 weights in an fp32 graph: exactly the fp16-rounded weights, half the bytes', async () => {
    const { y, weightBytes } = await runLinear('fp16');
    expect(maxRelativeError(y, reference(roundThroughFloat16(weight)))).toBeLessThan(1e-6);
    expect(weightBytes).toBeLessThan(N * K * 2 + N * 4 + 2 * 64);
  });

  it('int4 in an fp16 graph (the GPU int4 path): fp16 scales and bias, same layout', async () => {
    const { bits, blockSize } = WEIGHT_ONLY_SETTINGS.int4;
    const q = quantizeBlockwise(weight, N, K, bits, blockSize, QUANT_SCHEME);
    const { y } = await runLinear('int4', 'fp16');
    // fp16 activations, scales and output on top of the int8 activation blocks: measured 0.6 %
    // on onnxruntime CPU, bound 3 %.
    expect(maxRelativeError(y, reference(dequantizeBlockwise(q)))).toBeLessThan(0.03);
  });

  it('fp16 graph: float32 at the boundary, fp16 inside, within fp16 rounding', async () => {
    const { y, weightBytes } = await runLinear('fp16', 'fp16');
    // Inputs, weights and the product are fp16 (11-bit mantissa, ε = 2⁻¹¹ ≈ 4.9e-4 per value):
    // the measured error is ~5e-4 of max|y|; 5e-3 bounds it.
    expect(maxRelativeError(y, reference(weight))).toBeLessThan(5e-3);
    expect(weightBytes).toBeLessThan(N * K * 2 + N * 2 + 2 * 64);
  });
});
