/**
 * Precision presets of `sightline models convert --precision`: one word for the user, a format
 * per module for the builder. Weight-only quantization keeps activations in float (fp32 on CPU,
 * fp16 on GPU); the Q-Former is small and stays in float everywhere.
 */
export const PRECISIONS = ['fp32', 'fp16', 'int8', 'int4'] as const;
export type Precision = (typeof PRECISIONS)[number];

/**
 * How one graph stores its matrices (Linear/MatMul weights) and its embedding tables.
 * `int8`/`int4`: weight-only blocks (`MatMulNBits`), for memory-bound graphs (the decoder).
 * `dynamic-int8`: int8 weights per output channel, activations quantized per call and an int8
 * GEMM (`DynamicQuantizeMatMul`), for compute-bound graphs (the ViT) — measured ~1.8× faster
 * than MatMulNBits bits=8 on a [257,1408]×[1408,6144] matmul (see quantize/linear.ts).
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
}

export interface ModuleFormats {
  vision: GraphFormat;
  qformer: GraphFormat;
  language: GraphFormat;
}

const FP32: GraphFormat = { linear: 'fp32', table: 'fp32', activations: 'fp32' };
const FP16: GraphFormat = { linear: 'fp16', table: 'fp16', activations: 'fp16' };

export function moduleFormats(precision: Precision): ModuleFormats {
  switch (precision) {
    case 'fp32':
      return { vision: FP32, qformer: FP32, language: FP32 };
    case 'fp16':
      return { vision: FP16, qformer: FP16, language: FP16 };
    case 'int8':
      return {
        vision: { linear: 'dynamic-int8', table: 'fp32', activations: 'fp32' },
        qformer: FP32,
        language: { linear: 'int8', table: 'int8', activations: 'fp32' },
      };
    case 'int4':
      return {
        vision: { linear: 'dynamic-int8', table: 'fp32', activations: 'fp32' },
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
 * Stored bytes per parameter of a Linear weight in each format: weight-only blocks of 32 carry a
 * float32 scale and a zero point (4 bits or 8) per block; dynamic int8 one scale per row.
 */
export const BYTES_PER_WEIGHT: Record<LinearFormat, number> = {
  fp32: 4,
  fp16: 2,
  int8: 1 + 5 / 32,
  int4: 0.5 + 4.5 / 32,
  'dynamic-int8': 1,
};
