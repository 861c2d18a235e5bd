/**
 * config.json for the benchmark's random checkpoints, in the schema of Salesforce/blip2-opt-2.7b
 * (same structure as test/fixtures/blip2-tiny/opt/config.json). `full` has the real model's
 * dimensions; `small` runs the exact same code path in seconds (smoke runs and the test).
 */
export type BenchScale = 'full' | 'small';

interface Dims {
  vision: { hidden: number; layers: number; heads: number; mlp: number };
  qformer: { hidden: number; layers: number; heads: number; intermediate: number; queries: number };
  opt: {
    hidden: number;
    layers: number;
    heads: number;
    ffn: number;
    vocab: number;
    maxPositions: number;
  };
}

const DIMS: Record<BenchScale, Dims> = {
  full: {
    vision: { hidden: 1408, layers: 39, heads: 16, mlp: 6144 },
    qformer: { hidden: 768, layers: 12, heads: 12, intermediate: 3072, queries: 32 },
    opt: { hidden: 2560, layers: 32, heads: 32, ffn: 10240, vocab: 50272, maxPositions: 2048 },
  },
  small: {
    vision: { hidden: 64, layers: 2, heads: 4, mlp: 128 },
    qformer: { hidden: 48, layers: 4, heads: 4, intermediate: 96, queries: 8 },
    opt: { hidden: 64, layers: 2, heads: 4, ffn: 128, vocab: 1000, maxPositions: 128 },
  },
};

export function benchConfig(scale: BenchScale): Record<string, unknown> {
  const { vision, qformer, opt } = DIMS[scale];
  return {
    architectures: ['Blip2ForConditionalGeneration'],
    image_text_hidden_size: 256,
    // blip2-opt-2.7b: `<image>` is the first id after the 50265-token OPT vocabulary.
    image_token_index: Math.min(50265, opt.vocab - 1),
    initializer_factor: 1.0,
    initializer_range: 0.02,
    model_type: 'blip-2',
    num_query_tokens: qformer.queries,
    qformer_config: {
      attention_probs_dropout_prob: 0.1,
      classifier_dropout: null,
      cross_attention_frequency: 2,
      encoder_hidden_size: vision.hidden,
      hidden_act: 'gelu',
      hidden_dropout_prob: 0.1,
      hidden_size: qformer.hidden,
      initializer_range: 0.02,
      intermediate_size: qformer.intermediate,
      layer_norm_eps: 1e-12,
      max_position_embeddings: 512,
      model_type: 'blip_2_qformer',
      num_attention_heads: qformer.heads,
      num_hidden_layers: qformer.layers,
      pad_token_id: 0,
      position_embedding_type: 'absolute',
      use_qformer_text_input: false,
      vocab_size: 30522,
    },
    text_config: {
      _remove_final_layer_norm: false,
      activation_dropout: 0.0,
      activation_function: 'relu',
      architectures: ['OPTForCausalLM'],
      attention_dropout: 0.0,
      bos_token_id: 2,
      do_layer_norm_before: true,
      dropout: 0.1,
      enable_bias: true,
      eos_token_id: Math.min(50118, opt.vocab - 1),
      ffn_dim: opt.ffn,
      hidden_size: opt.hidden,
      init_std: 0.02,
      layer_norm_elementwise_affine: true,
      layerdrop: 0.0,
      max_position_embeddings: opt.maxPositions,
      model_type: 'opt',
      num_attention_heads: opt.heads,
      num_hidden_layers: opt.layers,
      pad_token_id: 1,
      prefix: '</s>',
      tie_word_embeddings: true,
      torch_dtype: 'float16',
      use_cache: true,
      vocab_size: opt.vocab,
      word_embed_proj_dim: opt.hidden,
    },
    torch_dtype: 'float16',
    use_decoder_only_language_model: true,
    vision_config: {
      attention_dropout: 0.0,
      hidden_act: 'gelu',
      hidden_size: vision.hidden,
      image_size: 224,
      initializer_range: 1e-10,
      intermediate_size: vision.mlp,
      layer_norm_eps: 1e-6,
      model_type: 'blip_2_vision_model',
      num_attention_heads: vision.heads,
      num_hidden_layers: vision.layers,
      patch_size: 14,
      qkv_bias: true,
    },
  };
}

/** config.json of the Blip2ForImageTextRetrieval checkpoint paired with benchConfig (same vision tower). */
export function retrievalBenchConfig(scale: BenchScale): Record<string, unknown> {
  const captioning = benchConfig(scale);
  return {
    ...captioning,
    architectures: ['Blip2ForImageTextRetrieval'],
    qformer_config: {
      ...(captioning.qformer_config as Record<string, unknown>),
      use_qformer_text_input: true,
      // blip2-itm-vit-g: BERT's vocabulary plus [DEC].
      vocab_size: scale === 'full' ? 30523 : 155,
    },
  };
}
