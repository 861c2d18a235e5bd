import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBlip2Config } from '../../native-models/builder/architectures/blip-2-config.ts';
import { modelTensors, type CheckpointModel } from './checkpoint-tensors.ts';
import { writeRandomSafetensors } from './random-checkpoint.ts';

const TINY = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'blip2-tiny');

/**
 * A random-weight checkpoint folder in the Hugging Face layout `models convert` reads: config,
 * fp16 safetensors, preprocessor and tokenizer. The tokenizers are the tiny fixture's; the OPT one
 * is padded with filler tokens to the model's vocabulary so that every id the random model
 * generates decodes to text, with `<image>` at the config's image_token_index.
 */
export async function writePipelineCheckpoint(
  dir: string,
  model: CheckpointModel,
  rawConfig: Record<string, unknown>,
  seed: number,
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const config = parseBlip2Config(rawConfig);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(rawConfig, null, 2));
  await writeRandomSafetensors(join(dir, 'model.safetensors'), modelTensors(config, model), seed);
  const source = join(TINY, model === 'captioning' ? 'opt' : 'itm');
  copyFileSync(join(source, 'preprocessor_config.json'), join(dir, 'preprocessor_config.json'));
  if (model === 'retrieval') {
    for (const file of [
      'tokenizer.json',
      'tokenizer_config.json',
      'special_tokens_map.json',
      'vocab.txt',
    ])
      copyFileSync(join(source, file), join(dir, file));
    return;
  }
  const imageToken = config.imageTokenIndex ?? config.text.vocabSize - 1;
  writeFileSync(
    join(dir, 'tokenizer.json'),
    JSON.stringify(paddedOptTokenizer(source, config.text.vocabSize, imageToken)),
  );
  const tokenizerConfig = JSON.parse(
    readFileSync(join(source, 'tokenizer_config.json'), 'utf8'),
  ) as {
    added_tokens_decoder: Record<string, unknown>;
  };
  // `<image>` moves to the config's image_token_index.
  tokenizerConfig.added_tokens_decoder = Object.fromEntries(
    Object.entries(tokenizerConfig.added_tokens_decoder).map(([id, token]) => [
      (token as { content: string }).content === '<image>' ? String(imageToken) : id,
      token,
    ]),
  );
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2));
  copyFileSync(join(source, 'special_tokens_map.json'), join(dir, 'special_tokens_map.json'));
  writeFileSync(
    join(dir, 'processor_config.json'),
    JSON.stringify({ num_query_tokens: config.numQueryTokens, processor_class: 'Blip2Processor' }),
  );
  writeFileSync(
    join(dir, 'generation_config.json'),
    JSON.stringify({
      bos_token_id: config.text.bosTokenId,
      eos_token_id: config.text.eosTokenIds[0],
      pad_token_id: config.text.padTokenId,
    }),
  );
}

interface TokenizerJson {
  added_tokens: { id: number; content: string }[];
  model: { vocab: Record<string, number> };
}

function paddedOptTokenizer(source: string, vocabSize: number, imageToken: number): TokenizerJson {
  const tokenizer = JSON.parse(
    readFileSync(join(source, 'tokenizer.json'), 'utf8'),
  ) as TokenizerJson;
  const vocab = tokenizer.model.vocab;
  const used = new Set(Object.values(vocab));
  for (let id = 0; id < vocabSize; id++) {
    // Ġ is the byte-level BPE's space: every filler decodes as a separate word.
    if (!used.has(id) && id !== imageToken) vocab[`Ġw${id}`] = id;
  }
  for (const token of tokenizer.added_tokens)
    if (token.content === '<image>') token.id = imageToken;
  return tokenizer;
}
