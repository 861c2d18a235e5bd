import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

/**
 * Thin wrapper around `@huggingface/tokenizers` that exposes the handful of operations the
 * BLIP-2 pipeline needs, with Hugging Face (`transformers` fast tokenizer) semantics.
 */

export interface EncodeOptions {
  /** Apply the post-processor template (OPT: prepend `</s>`; BERT: `[CLS] ... [SEP]`). Default true. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop added tokens flagged `special` (OPT: `</s>`, `<pad>`, `<image>`). Default false. */
  skipSpecialTokens?: boolean;
}

/** Ids of the named special tokens declared in `tokenizer_config.json` / `special_tokens_map.json`. */
export interface SpecialTokenIds {
  bos?: number;
  eos?: number;
  pad?: number;
  unk?: number;
  cls?: number;
  sep?: number;
  mask?: number;
}

export type Side = 'left' | 'right';

export interface TextTokenizer {
  encode(text: string, opts?: EncodeOptions): number[];
  decode(ids: readonly number[], opts?: DecodeOptions): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  readonly specialIds: Readonly<SpecialTokenIds>;
  /** Every id `skipSpecialTokens` removes, plus the named special tokens. */
  readonly allSpecialIds: ReadonlySet<number>;
  /** Vocabulary size including added tokens (Python `len(tokenizer)`). */
  readonly length: number;
  /** `tokenizer_config.json` `padding_side`, HF default `right`. */
  readonly paddingSide: Side;
  /** `tokenizer_config.json` `truncation_side`, HF default `right`. */
  readonly truncationSide: Side;
  /** `model_max_length` when it is a real limit (HF writes ~1e30 for "no limit"). */
  readonly modelMaxLength: number | undefined;
}

type JsonObject = Record<string, unknown>;

const SPECIAL_TOKEN_KEYS = ['bos', 'eos', 'pad', 'unk', 'cls', 'sep', 'mask'] as const;

/** HF uses `int(1e30)` as "unbounded"; anything this large is not a usable limit. */
const UNBOUNDED_MODEL_MAX_LENGTH = 1e15;

export async function loadTokenizer(dir: string): Promise<TextTokenizer> {
  const tokenizerJson = await readJsonObject(join(dir, 'tokenizer.json'));
  const tokenizerConfig = await readJsonObject(join(dir, 'tokenizer_config.json'));
  const specialTokensMap = await readJsonObject(join(dir, 'special_tokens_map.json'), {
    optional: true,
  });
  return createTokenizer(tokenizerJson, tokenizerConfig, specialTokensMap);
}

/** Builds a tokenizer from already-parsed files (`specialTokensMap` may be omitted). */
export function createTokenizer(
  tokenizerJson: JsonObject,
  tokenizerConfig: JsonObject,
  specialTokensMap?: JsonObject,
): TextTokenizer {
  const config = mergeSpecialTokens(tokenizerConfig, specialTokensMap ?? {});
  const inner = new Tokenizer(tokenizerJson, config);

  const specialIds: SpecialTokenIds = {};
  for (const key of SPECIAL_TOKEN_KEYS) {
    const content = config[`${key}_token`];
    const id = typeof content === 'string' ? inner.token_to_id(content) : undefined;
    if (id !== undefined) specialIds[key] = id;
  }

  const allSpecialIds = new Set<number>(Object.values(specialIds));
  for (const [id, token] of inner.get_added_tokens_decoder()) {
    if (token.special) allSpecialIds.add(id);
  }
  for (const content of stringList(config.additional_special_tokens)) {
    const id = inner.token_to_id(content);
    if (id !== undefined) allSpecialIds.add(id);
  }

  const length = inner.get_vocab(true).size;

  return {
    encode(text, opts = {}) {
      return inner.encode(text, {
        add_special_tokens: opts.addSpecialTokens ?? true,
      }).ids;
    },
    decode(ids, opts = {}) {
      // The Rust tokenizer silently skips ids it does not know (e.g. the padding rows of an LM
      // head larger than the vocab); the JS library would map them to unk instead.
      const known = ids.filter((id) => Number.isInteger(id) && inner.id_to_token(id) !== undefined);
      // The JS library throws on an empty id list; HF returns ''.
      if (known.length === 0) return '';
      return inner.decode(known, {
        skip_special_tokens: opts.skipSpecialTokens ?? false,
      });
    },
    tokenToId: (token) => inner.token_to_id(token),
    idToToken: (id) => inner.id_to_token(id),
    specialIds,
    allSpecialIds,
    length,
    paddingSide: parseSide(config.padding_side),
    truncationSide: parseSide(config.truncation_side),
    modelMaxLength: parseModelMaxLength(config.model_max_length),
  };
}

/**
 * Named special tokens may appear in `tokenizer_config.json` or only in `special_tokens_map.json`,
 * as plain strings or as `{ content, ... }` objects. The library (and HF) want plain strings.
 */
function mergeSpecialTokens(config: JsonObject, specialTokensMap: JsonObject): JsonObject {
  const names = new Set(SPECIAL_TOKEN_KEYS.map((key) => `${key}_token`));
  const merged: JsonObject = Object.fromEntries(
    Object.entries(config).filter(([name]) => !names.has(name)),
  );
  for (const name of names) {
    const content = tokenContent(config[name]) ?? tokenContent(specialTokensMap[name]);
    if (content !== undefined) merged[name] = content;
  }
  const additional = stringList(config.additional_special_tokens);
  merged.additional_special_tokens =
    additional.length > 0 ? additional : stringList(specialTokensMap.additional_special_tokens);
  return merged;
}

function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isJsonObject(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

function stringList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map(tokenContent).filter((content): content is string => content !== undefined);
}

function parseSide(value: unknown): Side {
  return value === 'left' ? 'left' : 'right';
}

function parseModelMaxLength(value: unknown): number | undefined {
  return typeof value === 'number' && value > 0 && value < UNBOUNDED_MODEL_MAX_LENGTH
    ? value
    : undefined;
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readJsonObject(
  path: string,
  { optional = false }: { optional?: boolean } = {},
): Promise<JsonObject> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (optional && (error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  if (!isJsonObject(parsed)) throw new Error(`${path}: expected a JSON object`);
  return parsed;
}
