import type { HfCheckpoint } from '../../checkpoint/hf-checkpoint.ts';
import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import { ElemType } from '../../onnx/proto.ts';
import {
  makeActivation,
  makeDim,
  makeLayerNorm,
  makeLinear,
  makeScaledDotProduct,
  mergeHeads,
} from '../ops.ts';
import type { VisionConfig } from './blip-2-config.ts';

const PREFIX = 'vision_model';

/**
 * Blip2VisionModel (EVA ViT-g): patch Conv, class token, learned positions, pre-LN blocks with a
 * fused qkv projection, post_layernorm on every token. pixel_values [B,3,S,S] → image_embeds.
 */
export function buildVisionGraph(g: GraphBuilder, ckpt: HfCheckpoint, cfg: VisionConfig): void {
  const D = cfg.hiddenSize;
  const heads = cfg.numAttentionHeads;
  const headDim = D / heads;
  const grid = cfg.imageSize / cfg.patchSize;
  if (!Number.isInteger(grid) || !Number.isInteger(headDim)) {
    throw new Error(`vision_config: image_size/patch_size or hidden_size/heads is not an integer`);
  }
  const tokens = grid * grid + 1;
  const pixels = g.input('pixel_values', ElemType.FLOAT, [
    'batch',
    3,
    cfg.imageSize,
    cfg.imageSize,
  ]);

  const scope = '/vision/embeddings';
  const convWeight = ckpt.read(`${PREFIX}.embeddings.patch_embedding.weight`, [
    D,
    3,
    cfg.patchSize,
    cfg.patchSize,
  ]);
  const convBias = ckpt.read(`${PREFIX}.embeddings.patch_embedding.bias`, [D]);
  const patches = g.op(
    'Conv',
    [
      pixels,
      g.weight(convWeight.name, convWeight.data, convWeight.shape),
      g.weight(convBias.name, convBias.data, [D]),
    ],
    `${scope}/patch_embedding`,
    { kernel_shape: [cfg.patchSize, cfg.patchSize], strides: [cfg.patchSize, cfg.patchSize] },
  );
  // [B, D, gy, gx] → [B, gy*gx, D] (row-major over the patch grid, as torch's flatten(2))
  const flat = g.op('Reshape', [patches, g.constInt64([0, D, grid * grid])], scope);
  const patchTokens = g.op('Transpose', [flat], scope, { perm: [0, 2, 1] });
  const cls = ckpt.read(`${PREFIX}.embeddings.class_embedding`, [1, 1, D]);
  const batch = makeDim(g, scope, pixels, 0);
  const clsShape = g.op('Concat', [batch, g.constInt64([1, D])], scope, { axis: 0 });
  const clsTokens = g.op('Expand', [g.weight(cls.name, cls.data, cls.shape), clsShape], scope);
  const sequence = g.op('Concat', [clsTokens, patchTokens], scope, { axis: 1 });
  const positions = ckpt.read(`${PREFIX}.embeddings.position_embedding`);
  if (positions.shape[1]! < tokens) {
    throw new Error(
      `${positions.name}: ${positions.shape[1]} positions for ${tokens} tokens (interpolation unsupported)`,
    );
  }
  const usedPositions = positions.data.subarray(0, tokens * D);
  let x = g.op('Add', [sequence, g.weight(positions.name, usedPositions, [1, tokens, D])], scope);

  for (let i = 0; i < cfg.numHiddenLayers; i++) {
    const p = `${PREFIX}.encoder.layers.${i}`;
    const s = `/vision/layers.${i}`;
    const ln1 = makeLayerNorm(
      g,
      `${s}/layer_norm1`,
      x,
      ckpt.read(`${p}.layer_norm1.weight`, [D]),
      ckpt.read(`${p}.layer_norm1.bias`, [D]),
      cfg.layerNormEps,
    );
    const qkv = makeLinear(
      g,
      `${s}/attn/qkv`,
      ln1,
      ckpt.read(`${p}.self_attn.qkv.weight`, [3 * D, D]),
      readQkvBias(ckpt, `${p}.self_attn`, D),
    );
    // reshape(B, N, 3, heads, hd).permute(2, 0, 3, 1, 4)
    const split = g.op('Reshape', [qkv, g.constInt64([0, 0, 3, heads, headDim])], `${s}/attn`);
    const perm = g.op('Transpose', [split], `${s}/attn`, { perm: [2, 0, 3, 1, 4] });
    const [q, k, v] = [0, 1, 2].map((j) =>
      g.op('Gather', [perm, g.constInt64([j], [])], `${s}/attn/${'qkv'[j]}`, { axis: 0 }),
    );
    const context = makeScaledDotProduct(g, `${s}/attn`, q!, k!, v!, {
      kind: 'multiply',
      factor: headDim ** -0.5,
    });
    const merged = mergeHeads(g, `${s}/attn`, context, D);
    const projected = makeLinear(
      g,
      `${s}/attn/projection`,
      merged,
      ckpt.read(`${p}.self_attn.projection.weight`, [D, D]),
      ckpt.read(`${p}.self_attn.projection.bias`, [D]),
    );
    x = g.op('Add', [x, projected], `${s}/attn_residual`);
    const ln2 = makeLayerNorm(
      g,
      `${s}/layer_norm2`,
      x,
      ckpt.read(`${p}.layer_norm2.weight`, [D]),
      ckpt.read(`${p}.layer_norm2.bias`, [D]),
      cfg.layerNormEps,
    );
    const fc1 = makeLinear(
      g,
      `${s}/mlp/fc1`,
      ln2,
      ckpt.read(`${p}.mlp.fc1.weight`, [cfg.intermediateSize, D]),
      ckpt.read(`${p}.mlp.fc1.bias`, [cfg.intermediateSize]),
    );
    const act = makeActivation(g, `${s}/mlp/act`, fc1, cfg.hiddenAct);
    const fc2 = makeLinear(
      g,
      `${s}/mlp/fc2`,
      act,
      ckpt.read(`${p}.mlp.fc2.weight`, [D, cfg.intermediateSize]),
      ckpt.read(`${p}.mlp.fc2.bias`, [D]),
    );
    x = g.op('Add', [x, fc2], `${s}/mlp_residual`);
  }
  const out = makeLayerNorm(
    g,
    '/vision/post_layernorm',
    x,
    ckpt.read(`${PREFIX}.post_layernorm.weight`, [D]),
    ckpt.read(`${PREFIX}.post_layernorm.bias`, [D]),
    cfg.layerNormEps,
  );
  g.output(out, 'image_embeds', ElemType.FLOAT, ['batch', tokens, D]);
}

/**
 * Current HF checkpoints store `qkv.bias` = cat(q_bias, 0, v_bias); older conversions kept
 * `q_bias` and `v_bias` (the key projection has no bias in EVA-ViT). Accept both.
 */
function readQkvBias(ckpt: HfCheckpoint, prefix: string, D: number): Float32Array | undefined {
  if (ckpt.has(`${prefix}.qkv.bias`)) return ckpt.read(`${prefix}.qkv.bias`, [3 * D]).data;
  if (ckpt.has(`${prefix}.q_bias`)) {
    const bias = new Float32Array(3 * D);
    bias.set(ckpt.read(`${prefix}.q_bias`, [D]).data, 0);
    bias.set(ckpt.read(`${prefix}.v_bias`, [D]).data, 2 * D);
    return bias;
  }
  return undefined;
}
