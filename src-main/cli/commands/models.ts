import type { Command } from 'commander';
import { convertCheckpoint } from '../../../native-models/builder/convert.ts';
import type { PrecisionChoice } from '../../../native-models/builder/precision.ts';
import { resolvePrecision } from '../../engine/runtime/default-precision.ts';
import { byteProgress, note, printJson } from '../output.ts';
import { precisionOption } from '../precision-flag.ts';
import { addRuntimeFlags, runtimeOptions, type RuntimeFlags } from '../runtime-flags.ts';
import { registerModelHubCommands } from './models-hub.ts';

interface ConvertFlags extends RuntimeFlags {
  json?: boolean;
  force?: boolean;
  repoId?: string;
  revision?: string;
  precision: PrecisionChoice;
}

export function registerModelsCommands(program: Command): void {
  const models = program.command('models').description('convert and manage BLIP-2 models');
  registerModelHubCommands(models);
  const convert = models
    .command('convert')
    .description('convert a Hugging Face BLIP-2 checkpoint folder into ONNX graphs Sightline runs')
    .argument(
      '<hf-dir>',
      'folder with config.json, *.safetensors, tokenizer and preprocessor files',
    )
    .argument('<out-dir>', 'folder to write the graphs and manifest to')
    .option('--force', 'replace an existing conversion in <out-dir>')
    .option('--repo-id <id>', 'Hugging Face repo id to record (detected from a Hub cache path)')
    .option('--revision <commit>', 'repo revision to record (detected from a Hub cache path)')
    .option('--json', 'print the manifest as JSON')
    .addOption(precisionOption());
  addRuntimeFlags(convert).action(async (hfDir: string, outDir: string, flags: ConvertFlags) => {
    const { precision, provider } = await resolvePrecision(
      flags.precision,
      runtimeOptions(flags).providers,
    );
    if (provider) note(`precision ${precision} (the default for ${provider})`);
    const progress = byteProgress('converting');
    const started = Date.now();
    let result;
    try {
      result = convertCheckpoint(hfDir, outDir, {
        ...(flags.force ? { force: true } : {}),
        ...(flags.repoId ? { repoId: flags.repoId } : {}),
        ...(flags.revision ? { revision: flags.revision } : {}),
        precision,
        onProgress: (p) => progress.update(p.bytesRead, p.bytesTotal, p.graph),
      });
    } finally {
      progress.stop();
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (flags.json) {
      printJson(result.manifest);
      return;
    }
    const graphs = Object.values(result.manifest.graphs)
      .map((g) => g.file)
      .join(', ');
    note(
      `converted ${result.manifest.architecture} (${precision}) in ${seconds} s → ${result.outDir}`,
    );
    process.stdout.write(`${result.outDir}\n  graphs: ${graphs}\n`);
  });
}
