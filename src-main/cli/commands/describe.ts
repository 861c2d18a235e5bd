import type { Command } from 'commander';
import { Blip2Captioner, type CaptionOptions } from '../../engine/blip2/captioner.ts';
import { encodeImages, loadPixelBatch } from '../../engine/blip2/vision-encoder.ts';
import { questionPrompt } from '../../engine/text/prompts.ts';
import { printJson } from '../output.ts';
import {
  addRuntimeFlags,
  reportProviders,
  runtimeOptions,
  type RuntimeFlags,
} from '../runtime-flags.ts';
import { nonNegativeInt, positiveInt, positiveNumber } from '../arguments.ts';

interface GenerationFlags extends RuntimeFlags {
  model: string;
  maxNewTokens: number;
  minNewTokens?: number;
  beams: number;
  repetitionPenalty?: number;
  lengthPenalty?: number;
  prompt?: string;
  json?: boolean;
}

function addGenerationFlags(command: Command): Command {
  return addRuntimeFlags(
    command
      .requiredOption(
        '--model <converted-opt-dir>',
        'a folder written by `sightline models convert` (Blip2ForConditionalGeneration)',
      )
      .option('--max-new-tokens <n>', 'at most this many new tokens', positiveInt, 30)
      .option('--min-new-tokens <n>', 'at least this many new tokens', nonNegativeInt)
      .option('--beams <k>', 'beam search width (1 = greedy)', positiveInt, 1)
      .option('--repetition-penalty <x>', 'penalise repeated tokens (1 = off)', positiveNumber)
      .option('--length-penalty <x>', 'beam search length penalty (default 1)', Number)
      .option('--json', 'print JSON'),
  );
}

function captionOptions(flags: GenerationFlags): CaptionOptions {
  return {
    maxNewTokens: flags.maxNewTokens,
    numBeams: flags.beams,
    ...(flags.minNewTokens !== undefined ? { minNewTokens: flags.minNewTokens } : {}),
    ...(flags.repetitionPenalty !== undefined
      ? { repetitionPenalty: flags.repetitionPenalty }
      : {}),
    ...(flags.lengthPenalty !== undefined ? { lengthPenalty: flags.lengthPenalty } : {}),
  };
}

/** Shared by describe and ask: one image, one prompt, streamed to the terminal unless --json. */
async function runCaption(
  image: string,
  prompt: string | null,
  flags: GenerationFlags,
  key: 'caption' | 'answer',
): Promise<void> {
  const captioner = await Blip2Captioner.load(flags.model, runtimeOptions(flags));
  try {
    const embeds = await encodeImages(
      captioner.model,
      await loadPixelBatch(captioner.model, [image]),
    );
    const stream = !flags.json && flags.beams === 1;
    const [result] = await captioner.generate(
      embeds,
      [prompt],
      captionOptions(flags),
      stream ? (_row, text) => process.stdout.write(text) : undefined,
    );
    reportProviders(captioner.model.providers);
    if (flags.json) printJson({ [key]: result!.text, token_ids: result!.tokenIds });
    else process.stdout.write(stream ? '\n' : `${result!.text}\n`);
  } finally {
    await captioner.release();
  }
}

export function registerCaptionCommands(program: Command): void {
  addGenerationFlags(
    program
      .command('describe')
      .description('caption an image')
      .argument('<image>', 'image file (JPEG, PNG, WebP, AVIF, TIFF, GIF)')
      .option('--prompt <text>', 'text the caption continues from (e.g. "a photo of")'),
  ).action(async (image: string, flags: GenerationFlags) => {
    await runCaption(image, flags.prompt ?? null, flags, 'caption');
  });

  addGenerationFlags(
    program
      .command('ask')
      .description('answer a question about an image')
      .argument('<image>', 'image file')
      .argument('<question>', 'the question')
      .option(
        '--prompt <template>',
        'prompt template; {q} is replaced by the question',
        'Question: {q} Answer:',
      ),
  ).action(async (image: string, question: string, flags: GenerationFlags) => {
    const template = flags.prompt ?? 'Question: {q} Answer:';
    const prompt =
      template === 'Question: {q} Answer:'
        ? questionPrompt(question)
        : template.replaceAll('{q}', question.trim());
    await runCaption(image, prompt, flags, 'answer');
  });
}
