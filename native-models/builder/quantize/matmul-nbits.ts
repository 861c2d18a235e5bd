import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import { ElemType } from '../../onnx/proto.ts';
import { toFloat16Bits } from './float16.ts';
import { packZeroPoints, type BlockQuantized } from './block-quantize.ts';

/**
 * Stored form of one quantized matrix [N, K] in a graph: `packed` [N, blocks, blob] uint8, scales
 * [N * blocks] at the activation type, packed zero points. Shared by `MatMulNBits` and (8-bit
 * tables) `GatherBlockQuantized`.
 */
export interface QuantizedInitializers {
  packed: string;
  scales: string;
  zeroPoints: string;
}

/** Writes the three initializers of `q` under `name` (`name`, `name_scales`, `name_zero_points`). */
export function addQuantizedInitializers(
  g: GraphBuilder,
  name: string,
  q: BlockQuantized,
): QuantizedInitializers {
  const blob = (q.blockSize * q.bits) / 8;
  const packed = g.tensor(name, q.packed, [q.rows, q.blocksPerRow, blob], ElemType.UINT8);
  const zeroPoints = packZeroPoints(q);
  return {
    packed,
    scales: addScales(g, `${name}_scales`, q.scales, [q.rows * q.blocksPerRow]),
    zeroPoints: g.tensor(`${name}_zero_points`, zeroPoints, [zeroPoints.length], ElemType.UINT8),
  };
}

/** Scales are stored at the activation type: `MatMulNBits` requires them to match its input A. */
export function addScales(
  g: GraphBuilder,
  name: string,
  scales: Float32Array,
  dims: readonly number[],
): string {
  if (g.activationType === ElemType.FLOAT16) {
    return g.tensor(name, new Uint8Array(toFloat16Bits(scales).buffer), dims, ElemType.FLOAT16);
  }
  return g.tensor(
    name,
    new Uint8Array(scales.buffer, scales.byteOffset, scales.byteLength),
    dims,
    ElemType.FLOAT,
  );
}

export interface MatMulNBitsOptions {
  /**
   * onnxruntime's `accuracy_level`: the lowest precision the CPU kernel may compute in. 4 lets it
   * quantize A to int8 per block and use VNNI integer dot products; 0 keeps float compute.
   */
  accuracyLevel: 0 | 1 | 2 | 3 | 4;
  /** Passed as MatMulNBits' own bias input (input 5), so no separate Add runs. */
  bias?: string;
}

/** x [.., K] @ dequant(W)ᵀ → [.., N], W the HF Linear weight [N, K] stored block-quantized. */
export function makeMatMulNBits(
  g: GraphBuilder,
  scope: string,
  x: string,
  q: BlockQuantized,
  weights: QuantizedInitializers,
  options: MatMulNBitsOptions,
): string {
  const inputs = [x, weights.packed, weights.scales, weights.zeroPoints];
  if (options.bias) inputs.push('', options.bias);
  const [out] = g.node('MatMulNBits', inputs, {
    name: `${scope}/MatMulNBits`,
    domain: 'com.microsoft',
    attrs: {
      K: q.cols,
      N: q.rows,
      bits: q.bits,
      block_size: q.blockSize,
      accuracy_level: options.accuracyLevel,
    },
  });
  return out!;
}
