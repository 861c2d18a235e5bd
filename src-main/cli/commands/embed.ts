import type { Command } from 'commander';
import { Blip2Retrieval, itcScore } from '../../engine/blip2/retrieval.ts';
import { encodeImages, loadPixelBatch } from '../../engine/blip2/vision-encoder.ts';
import type { Tensor } from '../../engine/runtime/tensor.ts';
import { printJson } from '../output.ts';
import {
  addRuntimeFlags,
  reportProviders,
  runtimeOptions,
  type RuntimeFlags,
} from '../runtime-flags.ts';

interface EmbedFlags extends RuntimeFlags {
  model: string;
  json?: boolean;
}

function addEmbedFlags(command: Command): Command {
  return addRuntimeFlags(
    command
      .requiredOption(
        '--model <converted-itm-dir>',
        'a folder written by `sightline models convert` (Blip2ForImageTextRetrieval)',
      )
      .option('--json', 'print JSON'),
  );
}

/** [rows, cols] float tensor → nested arrays (JSON), rounded only by JSON's double printing. */
function matrix(t: Tensor<'float32'>, rowsOffset = 0): number[][] {
  const cols = t.dims[t.dims.length - 1]!;
  const count = t.data.length / cols - rowsOffset * 0;
  return Array.from({ length: count }, (_, r) =>
    Array.from(t.data.subarray(r * cols, (r + 1) * cols)),
  );
}

async function withRetrieval<T>(
  flags: EmbedFlags,
  work: (r: Blip2Retrieval) => Promise<T>,
): Promise<T> {
  const retrieval = await Blip2Retrieval.load(flags.model, runtimeOptions(flags));
  try {
    const result = await work(retrieval);
    reportProviders(retrieval.model.providers);
    return result;
  } finally {
    await retrieval.release();
  }
}

function printVectors(flags: EmbedFlags, json: Record<string, unknown>, human: string): void {
  if (flags.json) printJson(json);
  else process.stdout.write(`${human}\n`);
}

export function registerEmbeddingCommands(program: Command): void {
  addEmbedFlags(
    program
      .command('embed-image')
      .description('ITC image embedding: one normalised vector per query token')
      .argument('<image>', 'image file'),
  ).action(async (image: string, flags: EmbedFlags) => {
    const feats = await withRetrieval(flags, async (r) =>
      r.imageFeatures(await encodeImages(r.model, await loadPixelBatch(r.model, [image]))),
    );
    const vectors = matrix(feats);
    printVectors(
      flags,
      { image_feats: vectors },
      `${vectors.length} query vectors of ${vectors[0]?.length ?? 0} dimensions (use --json to print them)`,
    );
  });

  addEmbedFlags(
    program
      .command('embed-text')
      .description('ITC text embedding (normalised)')
      .argument('<text>', 'text to embed'),
  ).action(async (text: string, flags: EmbedFlags) => {
    const feat = await withRetrieval(flags, (r) => r.textFeatures([text]));
    const vector = Array.from(feat.data);
    printVectors(
      flags,
      { text_feat: vector },
      `vector of ${vector.length} dimensions (use --json to print it)`,
    );
  });

  addEmbedFlags(
    program
      .command('match')
      .description(
        'how well a text describes an image: ITC cosine (max over queries) and ITM probability',
      )
      .argument('<image>', 'image file')
      .argument('<text>', 'text'),
  ).action(async (image: string, text: string, flags: EmbedFlags) => {
    const scores = await withRetrieval(flags, async (r) => {
      const embeds = await encodeImages(r.model, await loadPixelBatch(r.model, [image]));
      const [imageFeats, textFeat, itm] = await Promise.all([
        r.imageFeatures(embeds),
        r.textFeatures([text]),
        r.itm(embeds, [text]),
      ]);
      return { itc: itcScore(imageFeats.data, textFeat.data), itm: itm.probabilities[0]! };
    });
    printVectors(flags, scores, `ITC ${scores.itc.toFixed(4)}  ITM ${scores.itm.toFixed(4)}`);
  });
}
