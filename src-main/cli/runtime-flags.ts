import { Option, type Command } from 'commander';
import { runtimeOptionsFrom, type RuntimeOptions } from '../engine/runtime/providers.ts';
import type { SessionReport } from '../engine/blip2/converted-model.ts';
import { note } from './output.ts';

export interface RuntimeFlags {
  provider?: string;
  threads?: string;
}

/** --provider / --threads, shared by every command that runs a model. */
export function addRuntimeFlags(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--provider <list>',
        'execution providers to try, best first: auto, or e.g. cuda,cpu',
      ).env('SIGHTLINE_PROVIDER'),
    )
    .addOption(
      new Option('--threads <n>', 'threads per operator (0 = one per physical core)').env(
        'SIGHTLINE_THREADS',
      ),
    );
}

export function runtimeOptions(flags: RuntimeFlags): RuntimeOptions {
  return runtimeOptionsFrom({
    ...(flags.provider ? { provider: flags.provider } : {}),
    ...(flags.threads ? { threads: flags.threads } : {}),
  });
}

/** Tells the user which execution provider actually ran, and why better ones did not. */
export function reportProviders(reports: readonly SessionReport[]): void {
  const used = [...new Set(reports.map((r) => r.provider))];
  if (used.length === 0) return;
  note(`ran on ${used.join(', ')} (onnxruntime execution provider)`);
  const failed = new Map<string, string>();
  for (const r of reports) for (const f of r.fallbacks) failed.set(f.provider, f.error);
  for (const [provider, error] of failed) note(`${provider} unavailable: ${firstLine(error)}`);
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 200);
}
