import type { Side, TextTokenizer } from './tokenizer.ts';

/**
 * BLIP-2 input builders, mirroring `Blip2Processor.__call__` + `Blip2ForConditionalGeneration.generate`
 * (language-model side) and the `Blip2ForImageTextRetrieval` text inputs.
 */

/** Prompt format used by `sightline ask` (the BLIP-2 paper's VQA prompt). */
export function questionPrompt(question: string): string {
  return `Question: ${question.trim()} Answer:`;
}

export interface PaddedBatch {
  inputIds: number[][];
  attentionMask: number[][];
}

/** Pads every sequence to the longest one (HF `padding='longest'`); mask is 0 on pads only. */
export function padBatch(
  sequences: readonly (readonly number[])[],
  padId: number,
  side: Side,
): PaddedBatch {
  const width = Math.max(0, ...sequences.map((ids) => ids.length));
  const inputIds: number[][] = [];
  const attentionMask: number[][] = [];
  for (const ids of sequences) {
    const pads = new Array<number>(width - ids.length).fill(padId);
    const padMask = new Array<number>(width - ids.length).fill(0);
    const ones = new Array<number>(ids.length).fill(1);
    inputIds.push(side === 'left' ? [...pads, ...ids] : [...ids, ...pads]);
    attentionMask.push(side === 'left' ? [...padMask, ...ones] : [...ones, ...padMask]);
  }
  return { inputIds, attentionMask };
}

export interface OptInputOptions {
  /** `num_query_tokens` (processor_config.json / config.json). */
  numQueryTokens: number;
  /** `config.image_token_index` (or `image_token_id`); null for legacy checkpoints without it. */
  imageTokenId: number | null;
  /** Decoder-only generation needs left padding (right padding would predict from a pad). */
  padSide: 'left';
}

/**
 * Language-model inputs for a batch. Both layouts describe the same embedding sequence of length
 * `numQueryTokens + T` (T = padded text length), with the query outputs at positions 0..N-1:
 *
 * - `image-tokens` (current HF, `imageTokenId` set): `inputIds` has that full length,
 *   `[<image>]*N + [pad]*k + [BOS] + prompt`. Embed all of `inputIds`, then overwrite the rows at
 *   `imageTokenPositions[b]` (in order) with the projected query outputs of image b.
 * - `prepend-queries` (legacy, `imageTokenId` null): `inputIds` is only the padded text
 *   `[pad]*k + [BOS] + prompt` (length T). Build
 *   `inputs_embeds[b] = concat(projectedQueries[b], embed(inputIds[b]))`.
 *
 * In both layouts `attentionMask` covers the full embedding sequence (`[1]*N + text mask`), so
 * `positionIdsFromMask(attentionMask)` is valid for either.
 */
export interface OptInputs {
  layout: 'image-tokens' | 'prepend-queries';
  inputIds: number[][];
  attentionMask: number[][];
  /** Positions in the full embedding sequence that receive query outputs (always 0..N-1). */
  imageTokenPositions: number[][];
  /** The tokenizer's padded text encoding alone (`[pad]*k + [BOS] + prompt`). */
  textInputIds: number[][];
  textAttentionMask: number[][];
}

/**
 * `prompts === null` means one captioning row; a null entry means that row has no prompt. A row
 * without prompt is `[BOS]`, which is also what `generate()` starts from when given no text, so a
 * batch can mix captioning and question rows.
 */
export function buildOptInputs(
  tok: TextTokenizer,
  prompts: readonly (string | null)[] | null,
  opts: OptInputOptions,
): OptInputs {
  const { numQueryTokens, imageTokenId } = opts;
  if (!Number.isInteger(numQueryTokens) || numQueryTokens < 1) {
    throw new Error(`numQueryTokens must be a positive integer, got ${numQueryTokens}`);
  }
  const padId = requirePadId(tok);
  const rows = prompts ?? [null];
  if (rows.length === 0) throw new Error('buildOptInputs needs at least one row');

  const encoded = rows.map((prompt) => tok.encode(prompt ?? ''));
  if (imageTokenId !== null) {
    // The model scatters query outputs into *every* image token; one typed by the user would
    // make the counts disagree (HF raises in that case too).
    encoded.forEach((ids, row) => {
      if (ids.includes(imageTokenId)) {
        throw new Error(`prompt ${row} contains the image placeholder token (id ${imageTokenId})`);
      }
    });
  }
  const text = padBatch(encoded, padId, opts.padSide);

  const queryIds = new Array<number>(numQueryTokens).fill(imageTokenId ?? padId);
  const queryMask = new Array<number>(numQueryTokens).fill(1);
  const queryPositions = Array.from({ length: numQueryTokens }, (_, i) => i);

  return {
    layout: imageTokenId === null ? 'prepend-queries' : 'image-tokens',
    inputIds:
      imageTokenId === null
        ? text.inputIds.map((ids) => [...ids])
        : text.inputIds.map((ids) => [...queryIds, ...ids]),
    attentionMask: text.attentionMask.map((mask) => [...queryMask, ...mask]),
    imageTokenPositions: rows.map(() => [...queryPositions]),
    textInputIds: text.inputIds,
    textAttentionMask: text.attentionMask,
  };
}

/**
 * OPT position ids: `cumsum(mask) * mask - 1`, so pads get -1 and real tokens count from 0.
 * `OPTLearnedPositionalEmbedding` reads row `pos + 2` (pads read row 1; their outputs are unused).
 */
export function positionIdsFromMask(mask: readonly (readonly number[])[]): number[][] {
  return mask.map((row) => {
    let seen = 0;
    return row.map((m) => {
      seen += m;
      return seen * m - 1;
    });
  });
}

export interface ItmTextOptions {
  /**
   * Longest allowed sequence including special tokens. Pass the Q-Former
   * `max_position_embeddings`; defaults to the tokenizer's `model_max_length`, else no limit.
   */
  maxLength?: number;
}

/** Q-Former text inputs (`[CLS] text [SEP]`), truncated, right-padded with the tokenizer's pad. */
export function buildItmTextInputs(
  tok: TextTokenizer,
  texts: readonly string[],
  opts: ItmTextOptions = {},
): PaddedBatch {
  const maxLength = opts.maxLength ?? tok.modelMaxLength ?? Number.POSITIVE_INFINITY;
  const encoded = texts.map((text) => encodeTruncated(tok, text, maxLength));
  return padBatch(encoded, requirePadId(tok), 'right');
}

/**
 * HF truncates the text tokens before the post-processor adds specials, so `[SEP]` survives. The
 * special prefix/suffix are recovered from the tokenizer's own template rather than assumed.
 */
function encodeTruncated(tok: TextTokenizer, text: string, maxLength: number): number[] {
  const withSpecials = tok.encode(text);
  if (withSpecials.length <= maxLength) return withSpecials;

  const plain = tok.encode(text, { addSpecialTokens: false });
  const prefixLength = findSubsequence(withSpecials, plain);
  if (prefixLength < 0) throw new Error('cannot locate the text inside its special-token template');
  const prefix = withSpecials.slice(0, prefixLength);
  const suffix = withSpecials.slice(prefixLength + plain.length);
  const budget = maxLength - prefix.length - suffix.length;
  if (budget < 0) throw new Error(`maxLength ${maxLength} is shorter than the special tokens`);
  const kept =
    tok.truncationSide === 'left' ? plain.slice(plain.length - budget) : plain.slice(0, budget);
  return [...prefix, ...kept, ...suffix];
}

function findSubsequence(haystack: readonly number[], needle: readonly number[]): number {
  for (let start = 0; start + needle.length <= haystack.length; start++) {
    if (needle.every((id, i) => haystack[start + i] === id)) return start;
  }
  return -1;
}

function requirePadId(tok: TextTokenizer): number {
  const pad = tok.specialIds.pad;
  if (pad === undefined) throw new Error('tokenizer has no pad token');
  return pad;
}
