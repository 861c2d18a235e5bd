import type { DecodingSetup, GenerationResult } from './generation-types.ts';
import { argmax } from './score-math.ts';
import { decodeTokenByToken } from './token-by-token.ts';

/** HF greedy search: argmax of the processed logits (first index on ties, like `torch.argmax`). */
export function greedySearch(setup: DecodingSetup): Promise<GenerationResult> {
  return decodeTokenByToken(setup, argmax);
}
