/**
 * Precision presets of `sightline models convert --precision`: one word for the user, a format
 * per module for the builder. Weight-only quantization keeps activations in float (fp32 on CPU,
 * fp16 on GPU); the Q-Former is small and stays in float everywhere.
 */
export const PRECISIONS = ['fp32', 'fp16', 'int8', 'int4'] as const;
export type Precision = (typeof PRECISIONS)[number];

/**
 * How one graph stores its matrices (Linear/MatMul weights) and its embedding tables.
 * `int8`/`int4`: weight blocks (`MatMulNBits`; on CPU the activations are quantized per block of
 * the same size for an int8 dot product). `dynamic-int8`: int8 weights per output channel,
 * activations quantized per tensor (`DynamicQuantizeMatMul`): ~1.8× faster than MatMulNBits
 * bits=8 on a ViT-g matmul, but one outlier token ruins every other token's precision (see
 * quantize/linear.ts), so no preset uses it.
 */
export type LinearFormat = 'fp32' | 'fp16' | 'int8' | 'int4' | 'dynamic-int8';
export type TableFormat = 'fp32' | 'fp16' | 'int8';

export interface GraphFormat {
  /** Weight format of every Linear in the graph (MatMulNBits for int8/int4). */
  linear: LinearFormat;
  /** Token embedding tables and the tied lm_head. */
  table: TableFormat;
  /** Activations and the KV cache: fp16 only in fp16 graphs (GPU providers). */
  activations: 'fp32' | 'fp16';
  /** Block size of `int8`/`int4` weights when not the format's default (quantize/linear.ts). */
  blockSize?: number;
}

export interface ModuleFormats {
  vision: GraphFormat;
  qformer: GraphFormat;
  language: GraphFormat;
}

const FP32: GraphFormat = { linear: 'fp32', table: 'fp32', activations: 'fp32' };
const FP16: GraphFormat = { linear: 'fp16', table: 'fp16', activations: 'fp16' };
/** Blocks of 128 for the ViT: 1.3× faster than 32 at 257 rows (12.2 vs 15.9 ms, linear.ts). */
const VISION_INT8: GraphFormat = {
  linear: 'int8',
  table: 'fp32',
  activations: 'fp32',
  blockSize: 128,
};

export function moduleFormats(precision: Precision): ModuleFormats {
  switch (precision) {
    case 'fp32':
      return { vision: FP32, qformer: FP32, language: FP32 };
    case 'fp16':
      return { vision: FP16, qformer: FP16, language: FP16 };
    case 'int8':
      return {
        vision: VISION_INT8,
        qformer: FP32,
        language: { linear: 'int8', table: 'int8', activations: 'fp32' },
      };
    case 'int4':
      return {
        vision: VISION_INT8,
        qformer: FP32,
        language: { linear: 'int4', table: 'int8', activations: 'fp32' },
      };
  }
}

export function isPrecision(value: string): value is Precision {
  return (PRECISIONS as readonly string[]).includes(value);
}

/** `--precision auto`: chosen from the execution provider that will run the model. */
export type PrecisionChoice = Precision | 'auto';

export function isPrecisionChoice(value: string): value is PrecisionChoice {
  return value === 'auto' || isPrecision(value);
}

/**
 * The default for a provider: on CPU weights dominate (memory-bound decoding), so int4 language
 * model + int8 ViT; GPU providers (cuda, dml, coreml, webgpu) run fp16 natively.
 */
export function defaultPrecisionFor(provider: string): Precision {
  return provider === 'cpu' ? 'int4' : 'fp16';
}

/**
 * Stored bytes per parameter of a Linear weight in a graph's format: weight blocks carry a float32
 * scale and a zero point (4 bits or 8) per block (default 32 weights); dynamic int8 one scale per
 * row.
 */
export function bytesPerWeight(format: GraphFormat): number {
  const block = format.blockSize ?? 32;
  switch (format.linear) {
    case 'fp32':
      return 4;
    case 'fp16':
      return 2;
    case 'int8':
      return 1 + 5 / block;
    case 'int4':
      return 0.5 + 4.5 / block;
    case 'dynamic-int8':
      return 1;
  }
}
