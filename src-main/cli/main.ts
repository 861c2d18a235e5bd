import { Command, CommanderError } from 'commander';
import { registerCaptionCommands } from './commands/describe.ts';
import { registerEmbeddingCommands } from './commands/embed.ts';
import { registerIndexCommand } from './commands/index.ts';
import { registerLibraryReadCommands } from './commands/library-read.ts';
import { registerModelsCommands } from './commands/models.ts';

/** `sightline` on the command line (Node, no Electron). */
export function buildProgram(): Command {
  const program = new Command('sightline')
    .description(
      'Search your photo library by meaning, on your own machine (BLIP-2 through onnxruntime).',
    )
    .showHelpAfterError()
    .exitOverride();
  registerModelsCommands(program);
  registerCaptionCommands(program);
  registerEmbeddingCommands(program);
  registerIndexCommand(program);
  registerLibraryReadCommands(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(
      `sightline: error: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    if (process.env.SIGHTLINE_DEBUG) console.error(error);
    return 1;
  }
}
