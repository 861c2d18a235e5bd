import type { FloatTensor } from '../../checkpoint/hf-checkpoint.ts';
import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import { ElemType } from '../../onnx/proto.ts';
import { toFloat16Bits } from './float16.ts';
import { quantizeBlockwise, type QuantBits, type QuantScheme } from './block-quantize.ts';
import { quantizePerColumnInt8 } from './per-column.ts';
import { addQuantizedInitializers, makeMatMulNBits } from './matmul-nbits.ts';

/**
 * Settings of the weight-only formats, chosen by a microbenchmark on this project's 2-core Zen4
 * (AVX-512 VNNI) with onnxruntime-node 1.30, 2 threads, Gaussian weights (σ 0.02), median ms and
 * relative L2 error against the fp32 product (indicative: the machine was shared while measuring):
 *
 *   [1,2560]×[2560,10240] (an OPT-2.7B fc1 at decode)   fp32 MatMul 2.54 ms
 *     int4 bs32  asym acc4 0.29 ms  8.2e-2 | bs128 asym acc4 0.19 ms 1.02e-1 | bs32 sym 9.8e-2
 *     int8 bs32  asym acc4 0.32 ms  7.2e-3 | acc0 80.8 ms (unusable)
 *     DynamicQuantizeMatMul 0.56 ms 1.2e-2
 *   [257,1408]×[1408,6144] (a ViT-g fc1 at B=1)          fp32 MatMul 21.7 ms
 *     int8 bs128 asym acc4 12.2 ms 8.8e-3 | bs32 15.9 ms | DynamicQuantizeMatMul 6.8 ms 1.4e-2
 *
 * Asymmetric beats symmetric at equal speed (the zero point uses the range a skewed block has),
 * block 32 costs int4 ~0.1 ms per matmul over block 128 for 20 % less error: decode quality is
 * what users see, so 32. accuracy_level 4 (int8 compute on VNNI) is 4× faster than float compute
 * for int4 at one row (1.3× at 257 rows: 18.7 vs 24.2 ms) and the only usable one for 8 bits.
 * The ViT's 257-row matmuls prefer blocks of 128 (the vision preset sets `blockSize`).
 *
 * DynamicQuantizeMatMul is the fastest at 257 rows, but quantizes the activations per tensor: on
 * [257,1408]×[1408,512] with one token scaled ×100 (the "massive activations" large ViTs have),
 * the other tokens' error went from 1.4e-2 to 7.5e-1 relative L2, while MatMulNBits bits=8
 * (per-block activation scales) stayed at 7.1e-3; four channels ×20: 1.1e-1 vs 1.1e-2. Hence the
 * ViT's int8 is MatMulNBits (linear.test.ts keeps this measured).
 */
export const WEIGHT_ONLY_SETTINGS: Record<'int4' | 'int8', { bits: QuantBits; blockSize: number }> =
  {
    int4: { bits: 4, blockSize: 32 },
    int8: { bits: 8, blockSize: 32 },
  };
export const QUANT_SCHEME: QuantScheme = 'asymmetric';
export const ACCURACY_LEVEL = 4;

/** HF nn.Linear (x @ Wᵀ + b) in the graph's `format.linear`; fp32 graphs use ops.ts' MatMul. */
export function makeFormattedLinear(
  g: GraphBuilder,
  scope: string,
  x: string,
  weight: FloatTensor,
  /** Writes the bias initializer (after the weight's) and names it; undefined without bias. */
  addBias: () => string | undefined,
): string {
  const [rows, cols] = weight.shape as [number, number];
  const format = g.format.linear;
  switch (format) {
    case 'int4':
    case 'int8': {
      const { bits } = WEIGHT_ONLY_SETTINGS[format];
      const blockSize = g.format.blockSize ?? WEIGHT_ONLY_SETTINGS[format].blockSize;
      const q = quantizeBlockwise(weight.data, rows, cols, bits, blockSize, QUANT_SCHEME);
      const init = addQuantizedInitializers(g, weight.name, q);
      const bias = addBias();
      return makeMatMulNBits(g, scope, x, q, init, {
        accuracyLevel: ACCURACY_LEVEL,
        ...(bias ? { bias } : {}),
      });
    }
    case 'dynamic-int8': {
      if (g.activationType !== ElemType.FLOAT) {
        throw new Error(`${weight.name}: dynamic-int8 needs float32 activations`);
      }
      const q = quantizePerColumnInt8(weight.data, rows, cols);
      const b = g.tensor(weight.name, new Uint8Array(q.values.buffer), [cols, rows], ElemType.INT8);
      const scales = g.tensor(
        `${weight.name}_scales`,
        new Uint8Array(q.scales.buffer),
        [rows],
        ElemType.FLOAT,
      );
      const zeroPoints = g.tensor(
        `${weight.name}_zero_points`,
        new Uint8Array(rows),
        [rows],
        ElemType.INT8,
      );
      const inputs = [x, b, scales, zeroPoints];
      const bias = addBias();
      if (bias) inputs.push(bias);
      const [out] = g.node('DynamicQuantizeMatMul', inputs, {
        name: `${scope}/DynamicQuantizeMatMul`,
        domain: 'com.microsoft',
      });
      return out!;
    }
    case 'fp16':
    case 'fp32': {
      // [out, in] → [in, out] at the storage type; an fp16 matrix in an fp32 graph is cast once
      // (onnxruntime folds the Cast at load: half the disk, same compute).
      const transposed = transposeRows(weight.data, rows, cols);
      let w: string;
      if (g.activationType === ElemType.FLOAT16 || format === 'fp32') {
        w = g.weight(weight.name, transposed, [cols, rows]);
      } else {
        const half = g.tensor(
          weight.name,
          new Uint8Array(toFloat16Bits(transposed).buffer),
          [cols, rows],
          ElemType.FLOAT16,
        );
        w = g.op('Cast', [half], `${scope}/weight`, { to: ElemType.FLOAT });
      }
      const product = g.op('MatMul', [x, w], scope);
      const bias = addBias();
      return bias ? g.op('Add', [product, bias], scope) : product;
    }
  }
}

function transposeRows(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}
