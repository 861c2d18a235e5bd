import type { CausalLanguageModel } from './language-model.ts';
import type { GenerationInput, GenerationOptions, GenerationResult } from './generation-types.ts';
import { beamSearch } from './beam-search.ts';
import { greedySearch } from './greedy.ts';
import {
  LogitsProcessorList,
  minNewTokens,
  noRepeatNgram,
  repetitionPenalty,
  temperature,
  topK,
  topP,
  type LogitsProcessor,
} from './logits-processors.ts';
import { createRandomSource } from './random.ts';
import { sampleSearch } from './sample.ts';
import { eosTokenCriterion, maxNewTokensCriterion, StoppingCriteriaList } from './stopping.ts';
import type { TokenStreamer } from './streamer.ts';

export type { GenerationInput, GenerationOptions, GenerationResult } from './generation-types.ts';

/** HF `GenerationConfig` defaults for the fields left unset. */
const HF_DEFAULT_TOP_K = 50;

/**
 * HF `_get_logits_processor` order: repetition penalty, no-repeat-ngram, min-new-tokens, then (only
 * when sampling) the former warpers temperature, top-k, top-p. With beams, warpers keep at least
 * `1 + n_eos` tokens so a non-EOS continuation always exists (HF `min_tokens_to_keep`).
 */
export function buildLogitsProcessors(options: GenerationOptions): LogitsProcessorList {
  const processors: LogitsProcessor[] = [];
  const { repetitionPenalty: penalty, noRepeatNgramSize, minNewTokens: minNew } = options;
  if (penalty !== undefined && penalty !== 1) processors.push(repetitionPenalty(penalty));
  if (noRepeatNgramSize !== undefined && noRepeatNgramSize > 0) {
    processors.push(noRepeatNgram(noRepeatNgramSize));
  }
  if (minNew !== undefined && minNew > 0 && options.eosTokenIds.length > 0) {
    processors.push(minNewTokens(minNew, options.eosTokenIds));
  }
  if (options.doSample) {
    const minTokensToKeep = (options.numBeams ?? 1) > 1 ? options.eosTokenIds.length + 1 : 1;
    const { temperature: temp = 1, topK: k = HF_DEFAULT_TOP_K, topP: p = 1 } = options;
    if (temp !== 1) processors.push(temperature(temp));
    if (k !== 0) processors.push(topK(k, minTokensToKeep));
    if (p < 1) processors.push(topP(p, minTokensToKeep));
  }
  return new LogitsProcessorList(processors);
}

export function buildStoppingCriteria(options: GenerationOptions): StoppingCriteriaList {
  return new StoppingCriteriaList([
    maxNewTokensCriterion(options.maxNewTokens),
    eosTokenCriterion(options.eosTokenIds),
  ]);
}

function validate(input: GenerationInput, options: GenerationOptions): void {
  const [rows, seq, hidden] = input.dims;
  if (input.inputsEmbeds.length !== rows * seq * hidden) {
    throw new RangeError(
      `inputsEmbeds has ${input.inputsEmbeds.length} values, dims say ${rows}x${seq}x${hidden}`,
    );
  }
  const tokens = input.promptTokenIds;
  const tokenLength = tokens?.[0]?.length ?? 0;
  if (tokens && (tokens.length !== rows || tokens.some((ids) => ids.length !== tokenLength))) {
    throw new RangeError(`promptTokenIds must be [${rows}][${tokenLength}]`);
  }
  const length = seq + tokenLength;
  if (
    input.attentionMask.length !== rows ||
    input.attentionMask.some((mask) => mask.length !== length)
  ) {
    throw new RangeError(`attentionMask must be [${rows}][${length}]`);
  }
  if (input.seenTokenIds && input.seenTokenIds.length !== rows) {
    throw new RangeError(`seenTokenIds must have one entry per row (${rows})`);
  }
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 0) {
    throw new RangeError(
      `maxNewTokens must be a non-negative integer, got ${options.maxNewTokens}`,
    );
  }
  const numBeams = options.numBeams ?? 1;
  const numReturn = options.numReturnSequences ?? 1;
  if (!Number.isInteger(numBeams) || numBeams < 1) throw new RangeError(`numBeams must be >= 1`);
  if (!Number.isInteger(numReturn) || numReturn < 1)
    throw new RangeError(`numReturnSequences must be >= 1`);
  if (numBeams > 1 && options.doSample)
    throw new Error('beam sampling (numBeams > 1 with doSample) is not supported');
  if (numBeams > 1 && numReturn > numBeams) {
    throw new RangeError(`numReturnSequences (${numReturn}) must be <= numBeams (${numBeams})`);
  }
  // HF raises the same: greedy decoding can only produce one sequence per input.
  if (numBeams === 1 && !options.doSample && numReturn !== 1) {
    throw new RangeError('greedy search cannot return more than one sequence per input');
  }
}

/**
 * Hugging Face `generate` for a decoder-only model fed with `inputs_embeds`: greedy search,
 * multinomial sampling or beam search depending on `numBeams` / `doSample`. Returns the new tokens
 * only (see `GenerationResult`). Every KV cache created on the way is disposed, also on error.
 */
export async function generate(
  model: CausalLanguageModel,
  input: GenerationInput,
  options: GenerationOptions,
  streamer?: TokenStreamer,
): Promise<GenerationResult> {
  validate(input, options);
  const numBeams = options.numBeams ?? 1;
  const numReturn = options.numReturnSequences ?? 1;
  const rows = input.dims[0];
  if (options.maxNewTokens === 0) {
    const outputs = rows * numReturn;
    streamer?.end();
    return {
      sequences: Array.from({ length: outputs }, () => []),
      padded: Array.from({ length: outputs }, () => []),
      ...(numBeams > 1 ? { scores: new Array<number>(outputs).fill(0) } : {}),
    };
  }

  const processors = buildLogitsProcessors(options);
  const stopping = buildStoppingCriteria(options);
  const prefill = await model.prefill(
    input.inputsEmbeds,
    input.dims,
    input.attentionMask,
    input.promptTokenIds,
  );
  const setup = {
    model,
    prefill,
    attentionMask: input.attentionMask,
    seenTokenIds: input.seenTokenIds ?? [],
    processors,
    stopping,
    maxNewTokens: options.maxNewTokens,
    padTokenId: options.padTokenId,
    ...(streamer ? { streamer } : {}),
  };

  if (numBeams > 1) {
    return beamSearch(setup, {
      numBeams,
      lengthPenalty: options.lengthPenalty ?? 1,
      earlyStopping: options.earlyStopping ?? false,
      numReturnSequences: numReturn,
      eosTokenCount: options.eosTokenIds.length,
    });
  }
  if (options.doSample) {
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
    return sampleSearch(setup, createRandomSource(seed), numReturn);
  }
  return greedySearch(setup);
}
