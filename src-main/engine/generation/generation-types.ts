import type { CausalLanguageModel, EmbeddingDims, StepOutput } from './language-model.ts';
import type { LogitsProcessor } from './logits-processors.ts';
import type { StoppingCriterion } from './stopping.ts';
import type { TokenStreamer } from './streamer.ts';

export interface GenerationInput {
  /** [rows, seq, hidden] prompt embeddings (e.g. the image queries) that come first. */
  inputsEmbeds: Float32Array;
  dims: EmbeddingDims;
  /** Prompt token ids [rows][T] that follow the embeddings; the model embeds them. */
  promptTokenIds?: readonly (readonly number[])[];
  /** [rows][seq + T], 0 on padding. */
  attentionMask: number[][];
  /**
   * Per input row, HF's `input_ids` for that row in order (image tokens, pads, BOS, prompt ids):
   * what repetition penalty and no-repeat-ngram treat as already present. Defaults to none.
   */
  seenTokenIds?: readonly (readonly number[])[];
}

/** Mirrors the HF `GenerationConfig` fields BLIP-2 needs; unset fields take HF's defaults. */
export interface GenerationOptions {
  maxNewTokens: number;
  minNewTokens?: number;
  /** Default 1 (no beam search). */
  numBeams?: number;
  doSample?: boolean;
  /** Sampling only. Default 1.0. */
  temperature?: number;
  /** Sampling only. Default 50 like HF's GenerationConfig; 0 disables. */
  topK?: number;
  /** Sampling only. Default 1.0 (disabled). */
  topP?: number;
  /** Default 1.0 (disabled). */
  repetitionPenalty?: number;
  /** Default 0 (disabled). */
  noRepeatNgramSize?: number;
  /** Beam search only. Default 1.0. */
  lengthPenalty?: number;
  /** Beam search only. Default false. */
  earlyStopping?: boolean | 'never';
  eosTokenIds: number[];
  padTokenId: number;
  /** Sampling only. Without it a random seed is drawn (not reproducible). */
  seed?: number;
  /** Beam search: <= numBeams; sampling: samples per input row; greedy: must be 1. */
  numReturnSequences?: number;
}

export interface GenerationResult {
  /**
   * New tokens only, one entry per output row (input row r, return index i -> r * n + i).
   * A row that finished on EOS ends with that EOS (inclusive); nothing after it.
   */
  sequences: number[][];
  /**
   * The same tokens as a rectangular matrix, each row right-filled with `padTokenId` to the
   * longest row (what HF's `sequences` hold after the prompt; in batched greedy/sampling these
   * are exactly the pads fed to rows that had already finished).
   */
  padded: number[][];
  /** Beam search only: HF `sequences_scores` (sum of log-probs / length ** length_penalty). */
  scores?: number[];
}

/** Everything a decoding strategy needs once the prompt has been prefilled. */
export interface DecodingSetup {
  model: CausalLanguageModel;
  /** Result of `model.prefill`; the strategy takes ownership of its cache. */
  prefill: StepOutput;
  /** Prompt mask per input row. */
  attentionMask: readonly (readonly number[])[];
  /** Seen ids per input row. */
  seenTokenIds: readonly (readonly number[])[];
  processors: LogitsProcessor;
  stopping: StoppingCriterion;
  maxNewTokens: number;
  padTokenId: number;
  streamer?: TokenStreamer;
}
