/**
 * Blip2Config as Hugging Face reads it: every dimension comes from config.json, with
 * transformers' defaults (configuration_blip_2.py / configuration_opt.py) for omitted keys.
 */
export interface VisionConfig {
  hiddenSize: number;
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  imageSize: number;
  patchSize: number;
  hiddenAct: string;
  layerNormEps: number;
}

export interface QformerConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenAct: string;
  maxPositionEmbeddings: number;
  layerNormEps: number;
  padTokenId: number;
  crossAttentionFrequency: number;
  encoderHiddenSize: number;
  useQformerTextInput: boolean;
}

export interface OptConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  ffnDim: number;
  numAttentionHeads: number;
  activationFunction: string;
  maxPositionEmbeddings: number;
  doLayerNormBefore: boolean;
  removeFinalLayerNorm: boolean;
  wordEmbedProjDim: number;
  enableBias: boolean;
  layerNormElementwiseAffine: boolean;
  padTokenId: number;
  bosTokenId: number;
  eosTokenIds: number[];
}

export interface Blip2Config {
  architecture: string;
  vision: VisionConfig;
  qformer: QformerConfig;
  text: OptConfig;
  textModelType: string;
  numQueryTokens: number;
  imageTextHiddenSize: number;
  /** `<image>` token id (current HF processors); null for legacy checkpoints (concat path). */
  imageTokenIndex: number | null;
}

type Json = Record<string, unknown>;

function num(obj: Json, key: string, fallback: number): number {
  const v = obj[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number')
    throw new Error(`config.json: ${key} should be a number, found ${JSON.stringify(v)}`);
  return v;
}
function str(obj: Json, key: string, fallback: string): string {
  const v = obj[key];
  return typeof v === 'string' ? v : fallback;
}
function bool(obj: Json, key: string, fallback: boolean): boolean {
  const v = obj[key];
  return typeof v === 'boolean' ? v : fallback;
}
function sub(obj: Json, key: string): Json {
  const v = obj[key];
  return v && typeof v === 'object' ? (v as Json) : {};
}

export function parseBlip2Config(raw: Json): Blip2Config {
  if (raw.model_type !== 'blip-2') {
    throw new Error(
      `config.json: model_type is ${JSON.stringify(raw.model_type)}, expected "blip-2"`,
    );
  }
  const architectures = raw.architectures;
  const architecture =
    Array.isArray(architectures) && typeof architectures[0] === 'string' ? architectures[0] : '';
  const v = sub(raw, 'vision_config');
  const q = sub(raw, 'qformer_config');
  const t = sub(raw, 'text_config');
  const vision: VisionConfig = {
    hiddenSize: num(v, 'hidden_size', 1408),
    intermediateSize: num(v, 'intermediate_size', 6144),
    numHiddenLayers: num(v, 'num_hidden_layers', 39),
    numAttentionHeads: num(v, 'num_attention_heads', 16),
    imageSize: num(v, 'image_size', 224),
    patchSize: num(v, 'patch_size', 14),
    hiddenAct: str(v, 'hidden_act', 'gelu'),
    layerNormEps: num(v, 'layer_norm_eps', 1e-6),
  };
  const qformer: QformerConfig = {
    vocabSize: num(q, 'vocab_size', 30522),
    hiddenSize: num(q, 'hidden_size', 768),
    numHiddenLayers: num(q, 'num_hidden_layers', 12),
    numAttentionHeads: num(q, 'num_attention_heads', 12),
    intermediateSize: num(q, 'intermediate_size', 3072),
    hiddenAct: str(q, 'hidden_act', 'gelu'),
    maxPositionEmbeddings: num(q, 'max_position_embeddings', 512),
    layerNormEps: num(q, 'layer_norm_eps', 1e-12),
    padTokenId: num(q, 'pad_token_id', 0),
    crossAttentionFrequency: num(q, 'cross_attention_frequency', 2),
    // Blip2Config forces the Q-Former's encoder width to the vision width.
    encoderHiddenSize: vision.hiddenSize,
    useQformerTextInput: bool(q, 'use_qformer_text_input', false),
  };
  const positionType = str(q, 'position_embedding_type', 'absolute');
  if (positionType !== 'absolute')
    throw new Error(
      `config.json: Q-Former position_embedding_type ${positionType} is not supported`,
    );
  const hidden = num(t, 'hidden_size', 768);
  const eos = t.eos_token_id;
  const text: OptConfig = {
    vocabSize: num(t, 'vocab_size', 50272),
    hiddenSize: hidden,
    numHiddenLayers: num(t, 'num_hidden_layers', 12),
    ffnDim: num(t, 'ffn_dim', 3072),
    numAttentionHeads: num(t, 'num_attention_heads', 12),
    activationFunction: str(t, 'activation_function', 'relu'),
    maxPositionEmbeddings: num(t, 'max_position_embeddings', 2048),
    doLayerNormBefore: bool(t, 'do_layer_norm_before', true),
    removeFinalLayerNorm: bool(t, '_remove_final_layer_norm', false),
    wordEmbedProjDim: num(t, 'word_embed_proj_dim', hidden),
    enableBias: bool(t, 'enable_bias', true),
    layerNormElementwiseAffine: bool(t, 'layer_norm_elementwise_affine', true),
    padTokenId: num(t, 'pad_token_id', 1),
    bosTokenId: num(t, 'bos_token_id', 2),
    eosTokenIds: Array.isArray(eos) ? eos.map(Number) : [typeof eos === 'number' ? eos : 2],
  };
  const imageToken = raw.image_token_index ?? raw.image_token_id;
  return {
    architecture,
    vision,
    qformer,
    text,
    textModelType: str(t, 'model_type', 'opt'),
    numQueryTokens: num(raw, 'num_query_tokens', 32),
    imageTextHiddenSize: num(raw, 'image_text_hidden_size', 256),
    imageTokenIndex: typeof imageToken === 'number' ? imageToken : null,
  };
}
