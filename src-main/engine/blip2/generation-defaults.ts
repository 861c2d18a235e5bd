import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of generation_config.json Sightline honours (HF's defaults where absent). */
export interface GenerationDefaults {
  eosTokenIds: number[];
  padTokenId: number;
  bosTokenId: number;
}

export function readGenerationDefaults(
  dir: string,
  fallback: GenerationDefaults,
): GenerationDefaults {
  const path = join(dir, 'generation_config.json');
  if (!existsSync(path)) return fallback;
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  const eos = raw.eos_token_id;
  return {
    // BLIP-2 OPT stops on the id of "\n" (text_config.eos_token_id), not the tokenizer's </s>.
    eosTokenIds: Array.isArray(eos)
      ? eos.map(Number)
      : typeof eos === 'number'
        ? [eos]
        : fallback.eosTokenIds,
    padTokenId: typeof raw.pad_token_id === 'number' ? raw.pad_token_id : fallback.padTokenId,
    bosTokenId: typeof raw.bos_token_id === 'number' ? raw.bos_token_id : fallback.bosTokenId,
  };
}
