import {
  defaultPrecisionFor,
  type Precision,
  type PrecisionChoice,
} from '../../../native-models/builder/precision.ts';
import { firstWorkingProvider } from './ort.ts';
import type { ProviderName } from './providers.ts';

/**
 * `--precision auto` → the default of the provider that will run the model (the first in the
 * preference list that starts here): int4 on CPU, fp16 on a GPU. An explicit precision is kept.
 */
export async function resolvePrecision(
  choice: PrecisionChoice,
  providers: readonly ProviderName[],
): Promise<{ precision: Precision; provider: ProviderName | null }> {
  if (choice !== 'auto') return { precision: choice, provider: null };
  const provider = await firstWorkingProvider(providers);
  return { precision: defaultPrecisionFor(provider), provider };
}
