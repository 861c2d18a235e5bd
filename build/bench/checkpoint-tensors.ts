import type { Blip2Config } from '../../native-models/builder/architectures/blip-2-config.ts';

/** How a random tensor is filled: weights N(0, 0.02), LayerNorm scales around 1. */
export type TensorInit = 'normal' | 'layerNormScale' | 'qkvBias';

export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: TensorInit;
}

/** The checkpoint parts a benchmark stage needs (the full converter would want all of them). */
export type CheckpointPart = 'vision' | 'qformer' | 'language';

/** Whole checkpoints, for the pipeline bench: captioning (OPT) and retrieval (ITM/ITC). */
export type CheckpointModel = 'captioning' | 'retrieval';

type Add = (name: string, shape: readonly number[], init?: TensorInit) => void;

/** Tensor names and shapes exactly as Hugging Face's Blip2ForConditionalGeneration state dict. */
export function checkpointTensors(config: Blip2Config, part: CheckpointPart): TensorSpec[] {
  const specs: TensorSpec[] = [];
  const add: Add = (name, shape, init = 'normal') => specs.push({ name, shape, init });
  if (part === 'vision') addVision(config, add);
  if (part === 'qformer') addQformer(config, add);
  if (part === 'language') addOpt(config, add);
  return specs;
}

/**
 * A whole checkpoint: Blip2ForConditionalGeneration's, or Blip2ForImageTextRetrieval's (the
 * Q-Former with its text path, embeddings, ITC projections and ITM head; no language model).
 */
export function modelTensors(config: Blip2Config, model: CheckpointModel): TensorSpec[] {
  if (model === 'captioning')
    return (['vision', 'qformer', 'language'] as const).flatMap((part) =>
      checkpointTensors(config, part),
    );
  const specs = checkpointTensors(config, 'vision');
  const add: Add = (name, shape, init = 'normal') => specs.push({ name, shape, init });
  addQformer(config, add, true);
  return specs;
}

function addLayerNorm(add: Add, prefix: string, width: number): void {
  add(`${prefix}.weight`, [width], 'layerNormScale');
  add(`${prefix}.bias`, [width]);
}

function addLinear(add: Add, prefix: string, out: number, inp: number): void {
  add(`${prefix}.weight`, [out, inp]);
  add(`${prefix}.bias`, [out]);
}

function addVision({ vision: v }: Blip2Config, add: Add): void {
  const D = v.hiddenSize;
  const p = 'vision_model';
  const tokens = (v.imageSize / v.patchSize) ** 2 + 1;
  add(`${p}.embeddings.class_embedding`, [1, 1, D]);
  add(`${p}.embeddings.patch_embedding.weight`, [D, 3, v.patchSize, v.patchSize]);
  add(`${p}.embeddings.patch_embedding.bias`, [D]);
  add(`${p}.embeddings.position_embedding`, [1, tokens, D]);
  for (let i = 0; i < v.numHiddenLayers; i++) {
    const l = `${p}.encoder.layers.${i}`;
    addLayerNorm(add, `${l}.layer_norm1`, D);
    add(`${l}.self_attn.qkv.weight`, [3 * D, D]);
    add(`${l}.self_attn.qkv.bias`, [3 * D], 'qkvBias');
    addLinear(add, `${l}.self_attn.projection`, D, D);
    addLayerNorm(add, `${l}.layer_norm2`, D);
    addLinear(add, `${l}.mlp.fc1`, v.intermediateSize, D);
    addLinear(add, `${l}.mlp.fc2`, D, v.intermediateSize);
  }
  addLayerNorm(add, `${p}.post_layernorm`, D);
}

/**
 * Query tokens, the query path of the Q-Former and language_projection (no text FFN in the OPT
 * checkpoint); with `retrieval`, the text path, ITC projections and ITM head instead.
 */
function addQformer(
  { qformer: q, text, numQueryTokens, imageTextHiddenSize }: Blip2Config,
  add: Add,
  retrieval = false,
): void {
  const D = q.hiddenSize;
  add('query_tokens', [1, numQueryTokens, D]);
  addLayerNorm(add, 'qformer.layernorm', D);
  const attention = (prefix: string, keyValueWidth: number): void => {
    addLinear(add, `${prefix}.attention.query`, D, D);
    addLinear(add, `${prefix}.attention.key`, D, keyValueWidth);
    addLinear(add, `${prefix}.attention.value`, D, keyValueWidth);
    addLinear(add, `${prefix}.output.dense`, D, D);
    addLayerNorm(add, `${prefix}.output.LayerNorm`, D);
  };
  for (let i = 0; i < q.numHiddenLayers; i++) {
    const l = `qformer.encoder.layer.${i}`;
    attention(`${l}.attention`, D);
    if (i % q.crossAttentionFrequency === 0) attention(`${l}.crossattention`, q.encoderHiddenSize);
    addLinear(add, `${l}.intermediate_query.dense`, q.intermediateSize, D);
    addLinear(add, `${l}.output_query.dense`, D, q.intermediateSize);
    addLayerNorm(add, `${l}.output_query.LayerNorm`, D);
    if (retrieval) {
      addLinear(add, `${l}.intermediate.dense`, q.intermediateSize, D);
      addLinear(add, `${l}.output.dense`, D, q.intermediateSize);
      addLayerNorm(add, `${l}.output.LayerNorm`, D);
    }
  }
  if (!retrieval) {
    addLinear(add, 'language_projection', text.wordEmbedProjDim, D);
    return;
  }
  add('embeddings.word_embeddings.weight', [q.vocabSize, D]);
  add('embeddings.position_embeddings.weight', [q.maxPositionEmbeddings, D]);
  addLinear(add, 'vision_projection', imageTextHiddenSize, D);
  addLinear(add, 'text_projection', imageTextHiddenSize, D);
  addLinear(add, 'itm_head', 2, D);
}

/** OPTForCausalLM; lm_head is tied to embed_tokens and not stored (as save_pretrained writes it). */
function addOpt({ text: t }: Blip2Config, add: Add): void {
  const D = t.hiddenSize;
  const p = 'language_model.model.decoder';
  add(`${p}.embed_tokens.weight`, [t.vocabSize, t.wordEmbedProjDim]);
  add(`${p}.embed_positions.weight`, [t.maxPositionEmbeddings + 2, D]);
  for (let i = 0; i < t.numHiddenLayers; i++) {
    const l = `${p}.layers.${i}`;
    for (const proj of ['q_proj', 'k_proj', 'v_proj', 'out_proj'])
      addLinear(add, `${l}.self_attn.${proj}`, D, D);
    addLayerNorm(add, `${l}.self_attn_layer_norm`, D);
    addLinear(add, `${l}.fc1`, t.ffnDim, D);
    addLinear(add, `${l}.fc2`, D, t.ffnDim);
    addLayerNorm(add, `${l}.final_layer_norm`, D);
  }
  addLayerNorm(add, `${p}.final_layer_norm`, D);
}

export function elementCount(spec: TensorSpec): number {
  return spec.shape.reduce((a, b) => a * b, 1);
}
