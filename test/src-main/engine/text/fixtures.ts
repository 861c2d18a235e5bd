import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Paths and golden data shared by the text tests (not a test file itself). */
export const BLIP2_TINY = fileURLToPath(new URL('../../../fixtures/blip2-tiny/', import.meta.url));
export const OPT_DIR = `${BLIP2_TINY}opt`;
export const ITM_DIR = `${BLIP2_TINY}itm`;

export interface OptTokenizerCase {
  text: string;
  ids: number[];
  tokens: string[];
  ids_no_special: number[];
  decode: string;
  decode_skip_special: string;
}

export interface ItmTokenizerCase {
  text: string;
  normalized: string;
  ids: number[];
  tokens: string[];
}

export interface GoldenPadding {
  texts: string[];
  input_ids: number[][];
  attention_mask: number[][];
}

export interface GenerationCase {
  name: string;
  prompts: string[] | null;
  padding_side: 'left' | 'right' | null;
  text_input_ids: number[][] | null;
  text_attention_mask: number[][] | null;
  input_ids: number[][];
  attention_mask: number[][];
  position_ids: number[][];
  embed_positions_rows: number[][];
  new_tokens: number[][];
  sequences: number[][];
  generated_text: string[];
  batch_decode_sequences_skip_special: string[];
}

interface GoldenFile {
  tokenizers: {
    opt: {
      bos_token_id: number;
      eos_token_id_tokenizer: number;
      pad_token_id: number;
      image_token_id: number;
      tokenizer_length: number;
      cases: OptTokenizerCase[];
      batch_padding_left: GoldenPadding;
      batch_padding_right: GoldenPadding;
    };
    itm: {
      tokenizer_length: number;
      pad_token_id: number;
      cases: ItmTokenizerCase[];
    };
  };
  opt_model: { generation: GenerationCase[] };
  itm_model: {
    texts: string[];
    input_ids: number[][];
    attention_mask: number[][];
  };
}

export const golden = JSON.parse(readFileSync(`${BLIP2_TINY}golden.json`, 'utf8')) as GoldenFile;

export function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

function numberAt(object: Record<string, unknown>, key: string, file: string): number {
  const value = object[key];
  if (typeof value !== 'number') throw new Error(`${file}: ${key} is not a number`);
  return value;
}

/** The model facts the input builders take from config files, read the way the app will. */
export function optModelFacts(): {
  numQueryTokens: number;
  imageTokenId: number;
} {
  const processor = readJson(`${OPT_DIR}/processor_config.json`);
  const config = readJson(`${OPT_DIR}/config.json`);
  const imageTokenKey = 'image_token_index' in config ? 'image_token_index' : 'image_token_id';
  return {
    numQueryTokens: numberAt(processor, 'num_query_tokens', 'processor_config.json'),
    imageTokenId: numberAt(config, imageTokenKey, 'config.json'),
  };
}

export function qformerMaxPositions(): number {
  const config = readJson(`${ITM_DIR}/config.json`);
  const qformer = config.qformer_config as Record<string, unknown>;
  return numberAt(qformer, 'max_position_embeddings', 'itm/config.json qformer_config');
}
