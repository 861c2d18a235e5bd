import type { FloatTensor } from '../checkpoint/hf-checkpoint.ts';
import type { GraphBuilder } from '../onnx/graph-builder.ts';
import { makeFormattedLinear } from './quantize/linear.ts';

/**
 * Shared graph pieces (the `make*` layer). Every function takes the scope its nodes are named
 * under, e.g. `/vision/layers.3/attn`, so a profile or a Netron view maps back to the HF module.
 */

/** [out, in] row-major → [in, out], so the graph multiplies without a runtime Transpose. */
export function transposeMatrix(t: FloatTensor): { data: Float32Array; dims: [number, number] } {
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(rows * cols);
  const src = t.data;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[base + c]!;
  }
  return { data: out, dims: [cols, rows] };
}

/** HF nn.Linear: x @ W.T + b, its weight stored in the graph's `format.linear`. */
export function makeLinear(
  g: GraphBuilder,
  scope: string,
  x: string,
  weight: FloatTensor,
  bias?: FloatTensor | Float32Array,
): string {
  if (weight.shape.length !== 2) throw new Error(`${weight.name}: expected a matrix`);
  // Written after the weight, as always: the data file's byte order is the vision fingerprint.
  const addBias = (): string | undefined =>
    bias === undefined
      ? undefined
      : bias instanceof Float32Array
        ? g.weight(`${scope}/bias`, bias, [bias.length])
        : g.weight(bias.name, bias.data, bias.shape);
  if (g.format.linear !== 'fp32') return makeFormattedLinear(g, scope, x, weight, addBias);
  const t = transposeMatrix(weight);
  const w = g.weight(weight.name, t.data, t.dims);
  const product = g.op('MatMul', [x, w], scope);
  const b = addBias();
  return b ? g.op('Add', [product, b], scope) : product;
}

export function makeLayerNorm(
  g: GraphBuilder,
  scope: string,
  x: string,
  weight: FloatTensor,
  bias: FloatTensor,
  epsilon: number,
): string {
  const w = g.weight(weight.name, weight.data, weight.shape);
  const b = g.weight(bias.name, bias.data, bias.shape);
  return g.op('LayerNormalization', [x, w, b], scope, { axis: -1, epsilon: { float: epsilon } });
}

/** Activations by HF `ACT2FN` name. GELU is the exact erf form, which ORT fuses into one kernel. */
export function makeActivation(g: GraphBuilder, scope: string, x: string, name: string): string {
  switch (name) {
    case 'relu':
      return g.op('Relu', [x], scope);
    case 'gelu': {
      const scaled = g.op('Div', [x, g.constFloat([Math.SQRT2])], scope);
      const erf = g.op('Erf', [scaled], scope);
      const onePlus = g.op('Add', [erf, g.constFloat([1])], scope);
      const gated = g.op('Mul', [x, onePlus], scope);
      return g.op('Mul', [gated, g.constFloat([0.5])], scope);
    }
    case 'gelu_new':
    case 'gelu_pytorch_tanh': {
      // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
      const cube = g.op('Mul', [g.op('Mul', [x, x], `${scope}/cube`), x], `${scope}/cube`);
      const inner = g.op('Add', [x, g.op('Mul', [cube, g.constFloat([0.044715])], scope)], scope);
      const tanh = g.op(
        'Tanh',
        [g.op('Mul', [inner, g.constFloat([Math.sqrt(2 / Math.PI)])], scope)],
        scope,
      );
      const gated = g.op('Mul', [x, g.op('Add', [tanh, g.constFloat([1])], scope)], scope);
      return g.op('Mul', [gated, g.constFloat([0.5])], scope);
    }
    default:
      throw new Error(`activation ${name} is not supported`);
  }
}

/** [B, T, heads*hd] → [B, heads, T, hd]. */
export function splitHeads(
  g: GraphBuilder,
  scope: string,
  x: string,
  heads: number,
  headDim: number,
): string {
  const shaped = g.op('Reshape', [x, g.constInt64([0, 0, heads, headDim])], scope);
  return g.op('Transpose', [shaped], scope, { perm: [0, 2, 1, 3] });
}

/** [B, heads, T, hd] → [B, T, heads*hd]. */
export function mergeHeads(g: GraphBuilder, scope: string, x: string, hidden: number): string {
  const t = g.op('Transpose', [x], scope, { perm: [0, 2, 1, 3] });
  return g.op('Reshape', [t, g.constInt64([0, 0, hidden])], scope);
}

export type ScoreScaling =
  /** HF Blip2Attention / OPT: the scale is a multiplication by hd**-0.5. */
  | { kind: 'multiply'; factor: number }
  /** HF Q-Former (BERT): scores divided by sqrt(hd). */
  | { kind: 'divide'; divisor: number }
  /** Already applied to the queries (OPT scales q_proj's output). */
  | { kind: 'none' };

/** softmax(q k^T (scaled) + bias) v over [B, heads, T, hd] tensors. */
export function makeScaledDotProduct(
  g: GraphBuilder,
  scope: string,
  q: string,
  k: string,
  v: string,
  scaling: ScoreScaling,
  additiveBias?: string,
): string {
  const kT = g.op('Transpose', [k], `${scope}/key_t`, { perm: [0, 1, 3, 2] });
  let scores = g.op('MatMul', [q, kT], `${scope}/scores`);
  if (scaling.kind === 'multiply')
    scores = g.op('Mul', [scores, g.constFloat([scaling.factor])], `${scope}/scores`);
  if (scaling.kind === 'divide')
    scores = g.op('Div', [scores, g.constFloat([scaling.divisor])], `${scope}/scores`);
  if (additiveBias) scores = g.op('Add', [scores, additiveBias], `${scope}/scores`);
  const probs = g.op('Softmax', [scores], scope, { axis: -1 });
  return g.op('MatMul', [probs, v], `${scope}/context`);
}

/** x / max(||x||₂, 1e-12) over the last axis (torch.nn.functional.normalize). */
export function makeL2Normalize(g: GraphBuilder, scope: string, x: string): string {
  const norm = g.op('ReduceL2', [x], scope, { axes: [-1], keepdims: 1 });
  const clamped = g.op('Max', [norm, g.constFloat([1e-12])], scope);
  return g.op('Div', [x, clamped], scope);
}

/** Dimension `axis` of `x` as a 1-element int64 tensor. */
export function makeDim(g: GraphBuilder, scope: string, x: string, axis: number): string {
  return g.op('Shape', [x], scope, { start: axis, end: axis + 1 });
}
