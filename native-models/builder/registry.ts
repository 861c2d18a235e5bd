import type { HfCheckpoint } from '../checkpoint/hf-checkpoint.ts';
import type { ModuleFormats } from './precision.ts';
import {
  convertBlip2ConditionalGeneration,
  convertBlip2Retrieval,
  type ArchitectureOutput,
  type GraphStartListener,
} from './architectures/blip-2.ts';

export type ArchitectureConverter = (
  ckpt: HfCheckpoint,
  outDir: string,
  formats: ModuleFormats,
  onGraph: GraphStartListener,
) => ArchitectureOutput;

/** config.json `architectures[0]` → the converter that knows its tensors. */
export const ARCHITECTURES = {
  Blip2ForConditionalGeneration: convertBlip2ConditionalGeneration,
  Blip2ForImageTextRetrieval: convertBlip2Retrieval,
} as const satisfies Record<string, ArchitectureConverter>;

export type SupportedArchitecture = keyof typeof ARCHITECTURES;

export function converterFor(architecture: string): ArchitectureConverter {
  if (architecture in ARCHITECTURES) return ARCHITECTURES[architecture as SupportedArchitecture];
  throw new Error(
    `architecture ${architecture || '(none)'} is not supported; supported: ${Object.keys(ARCHITECTURES).join(', ')}`,
  );
}
