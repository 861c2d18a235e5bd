import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { HfCheckpoint } from '../../checkpoint/hf-checkpoint.ts';
import type { GraphBuilder } from '../../onnx/graph-builder.ts';
import { ElemType } from '../../onnx/proto.ts';
import type { ManifestGraph } from '../../manifest.ts';
import { makeL2Normalize, makeLinear } from '../ops.ts';
import { writeGraph } from '../graph-file.ts';
import type { GraphFormat, ModuleFormats } from '../precision.ts';
import { parseBlip2Config, type Blip2Config } from './blip-2-config.ts';
import { makeQformer, makeQueryTokens, makeTextEmbeddings } from './blip-2-qformer.ts';
import { buildVisionGraph } from './blip-2-vision.ts';
import { buildOptDecoderGraph } from './opt.ts';

export interface ArchitectureOutput {
  config: Blip2Config;
  graphs: Record<string, ManifestGraph>;
  visionFingerprint: string;
}

export type GraphStartListener = (graph: string) => void;

/** Blip2ForConditionalGeneration (OPT): vision, Q-Former + projection, decoder (with its token table). */
export function convertBlip2ConditionalGeneration(
  ckpt: HfCheckpoint,
  outDir: string,
  formats: ModuleFormats,
  onGraph: GraphStartListener,
): ArchitectureOutput {
  const config = parseBlip2Config(ckpt.config);
  if (config.textModelType !== 'opt') {
    throw new Error(
      `text_config.model_type ${config.textModelType} is not supported yet (only OPT)`,
    );
  }
  const graphs: Record<string, ManifestGraph> = {};
  onGraph('vision');
  graphs.vision = writeVisionGraph(outDir, ckpt, config, formats.vision);
  onGraph('qformer');
  graphs.qformer = writeGraph(
    outDir,
    'qformer',
    ckpt,
    (g) => buildQformerProjectionGraph(g, ckpt, config),
    'BLIP-2 Q-Former query path + language_projection',
    formats.qformer,
  );
  onGraph('decoder');
  graphs.decoder = writeGraph(
    outDir,
    'decoder',
    ckpt,
    (g) => buildOptDecoderGraph(g, ckpt, config.text, 'language_model'),
    'OPT decoder with KV cache and token embeddings',
    formats.language,
  );
  return { config, graphs, visionFingerprint: fingerprintVision(outDir, graphs.vision) };
}

/** Blip2ForImageTextRetrieval: vision, ITC image features, ITC text features, ITM head. */
export function convertBlip2Retrieval(
  ckpt: HfCheckpoint,
  outDir: string,
  formats: ModuleFormats,
  onGraph: GraphStartListener,
): ArchitectureOutput {
  const config = parseBlip2Config(ckpt.config);
  const qcfg = config.qformer;
  const Q = config.numQueryTokens;
  const E = config.imageTextHiddenSize;
  const Dv = config.vision.hiddenSize;
  const graphs: Record<string, ManifestGraph> = {};
  // The unused OPT text_config every Blip2Config serialises has no weights here: nothing to map.
  onGraph('vision');
  graphs.vision = writeVisionGraph(outDir, ckpt, config, formats.vision);
  onGraph('image_features');
  graphs.image_features = writeGraph(
    outDir,
    'image_features',
    ckpt,
    (g) => {
      const image = g.input('image_embeds', ElemType.FLOAT, ['batch', 'vision_tokens', Dv]);
      const queries = makeQueryTokens(g, ckpt, qcfg, Q, image);
      const out = makeQformer(g, ckpt, qcfg, {
        embeds: queries,
        queryLength: Q,
        hasText: false,
        encoderHidden: image,
      });
      g.output(out, 'query_output', ElemType.FLOAT, ['batch', Q, qcfg.hiddenSize]);
      const projected = makeLinear(
        g,
        '/vision_projection',
        out,
        ckpt.read('vision_projection.weight', [E, qcfg.hiddenSize]),
        ckpt.read('vision_projection.bias', [E]),
      );
      g.output(
        makeL2Normalize(g, '/vision_projection/normalize', projected),
        'image_feats',
        ElemType.FLOAT,
        ['batch', Q, E],
      );
    },
    'BLIP-2 ITC image features',
    formats.qformer,
  );
  onGraph('text_features');
  graphs.text_features = writeGraph(
    outDir,
    'text_features',
    ckpt,
    (g) => {
      const ids = g.input('input_ids', ElemType.INT64, ['batch', 'text_length']);
      const mask = g.input('attention_mask', ElemType.FLOAT, ['batch', 'text_length']);
      const embeds = makeTextEmbeddings(g, ckpt, qcfg, ids);
      const out = makeQformer(g, ckpt, qcfg, {
        embeds,
        queryLength: 0,
        hasText: true,
        attentionMask: mask,
      });
      g.output(out, 'text_hidden_state', ElemType.FLOAT, ['batch', 'text_length', qcfg.hiddenSize]);
      const cls = g.op('Gather', [out, g.constInt64([0], [])], '/text_projection/cls', { axis: 1 });
      const projected = makeLinear(
        g,
        '/text_projection',
        cls,
        ckpt.read('text_projection.weight', [E, qcfg.hiddenSize]),
        ckpt.read('text_projection.bias', [E]),
      );
      g.output(
        makeL2Normalize(g, '/text_projection/normalize', projected),
        'text_feat',
        ElemType.FLOAT,
        ['batch', E],
      );
    },
    'BLIP-2 ITC text features',
    formats.qformer,
  );
  onGraph('itm');
  graphs.itm = writeGraph(
    outDir,
    'itm',
    ckpt,
    (g) => {
      const image = g.input('image_embeds', ElemType.FLOAT, ['batch', 'vision_tokens', Dv]);
      const ids = g.input('input_ids', ElemType.INT64, ['batch', 'text_length']);
      const textMask = g.input('attention_mask', ElemType.FLOAT, ['batch', 'text_length']);
      const queries = makeQueryTokens(g, ckpt, qcfg, Q, image);
      const text = makeTextEmbeddings(g, ckpt, qcfg, ids);
      const embeds = g.op('Concat', [queries, text], '/itm/inputs', { axis: 1 });
      // The queries are always attended: mask = [1]*Q + text mask.
      const ones = g.op(
        'Expand',
        [g.constFloat([1]), g.op('Shape', [queries], '/itm/mask', { end: 2 })],
        '/itm/mask',
      );
      const mask = g.op('Concat', [ones, textMask], '/itm/mask', { axis: 1 });
      const out = makeQformer(g, ckpt, qcfg, {
        embeds,
        queryLength: Q,
        hasText: true,
        attentionMask: mask,
        encoderHidden: image,
      });
      const queryOut = g.op(
        'Slice',
        [out, g.constInt64([0]), g.constInt64([Q]), g.constInt64([1])],
        '/itm/queries',
      );
      g.output(queryOut, 'query_output', ElemType.FLOAT, ['batch', Q, qcfg.hiddenSize]);
      const head = makeLinear(
        g,
        '/itm_head',
        queryOut,
        ckpt.read('itm_head.weight', [2, qcfg.hiddenSize]),
        ckpt.read('itm_head.bias', [2]),
      );
      g.output(
        g.op('ReduceMean', [head], '/itm_head/mean', { axes: [1], keepdims: 0 }),
        'itm_logits',
        ElemType.FLOAT,
        ['batch', 2],
      );
    },
    'BLIP-2 ITM head',
    formats.qformer,
  );
  return { config, graphs, visionFingerprint: fingerprintVision(outDir, graphs.vision) };
}

/**
 * sha256 of the converted vision weights (`vision.onnx.data`): the values exactly as the runtime
 * uses them, so an fp16 and an fp32 checkpoint of one tower, or its two qkv-bias layouts, agree
 * once converted to the same precision. Bytes alone do not say how they are computed with (fp16
 * weights in an fp16 graph or cast to fp32), so a format other than fp32 is hashed too; fp32 keeps
 * the hash of its bytes alone, as conversions before precisions existed wrote it.
 */
export function fingerprintVision(outDir: string, graph: ManifestGraph): string {
  const hash = createHash('sha256');
  const { linear, table, activations, blockSize } = graph.format;
  if (linear !== 'fp32' || table !== 'fp32' || activations !== 'fp32') {
    hash.update(`sightline-vision-format:${linear}/${table}/${activations}/${blockSize ?? ''}\n`);
  }
  const fd = openSync(join(outDir, graph.dataFile), 'r');
  try {
    const chunk = Buffer.allocUnsafe(1 << 24);
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk))
      hash.update(chunk.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** The `qformer` graph: learned queries through the Q-Former over the image, then language_projection. */
export function buildQformerProjectionGraph(
  g: GraphBuilder,
  ckpt: HfCheckpoint,
  config: Blip2Config,
): void {
  const Q = config.numQueryTokens;
  const Dq = config.qformer.hiddenSize;
  const Dt = config.text.wordEmbedProjDim;
  const image = g.input('image_embeds', ElemType.FLOAT, [
    'batch',
    'vision_tokens',
    config.vision.hiddenSize,
  ]);
  const queries = makeQueryTokens(g, ckpt, config.qformer, Q, image);
  const out = makeQformer(g, ckpt, config.qformer, {
    embeds: queries,
    queryLength: Q,
    hasText: false,
    encoderHidden: image,
  });
  g.output(out, 'query_output', ElemType.FLOAT, ['batch', Q, Dq]);
  const projected = makeLinear(
    g,
    '/language_projection',
    out,
    ckpt.read('language_projection.weight', [Dt, Dq]),
    ckpt.read('language_projection.bias', [Dt]),
  );
  g.output(projected, 'language_inputs', ElemType.FLOAT, ['batch', Q, Dt]);
}

function writeVisionGraph(
  outDir: string,
  ckpt: HfCheckpoint,
  config: Blip2Config,
  format: GraphFormat,
): ManifestGraph {
  const build = (g: GraphBuilder): void => {
    buildVisionGraph(g, ckpt, config.vision);
  };
  return writeGraph(outDir, 'vision', ckpt, build, 'BLIP-2 vision tower', format);
}
