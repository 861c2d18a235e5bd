import { kvCacheLayoutFor } from '../../../../native-models/builder/architectures/opt-attention.ts';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HfCheckpoint } from '../../../../native-models/checkpoint/hf-checkpoint.ts';
import { convertCheckpoint } from '../../../../native-models/builder/convert.ts';
import type { Manifest, ManifestGraph } from '../../../../native-models/manifest.ts';
import { Blip2Captioner } from '../../../../src-main/engine/blip2/captioner.ts';
import { Blip2Retrieval, itcScore } from '../../../../src-main/engine/blip2/retrieval.ts';
import {
  encodeImages,
  loadPixelBatch,
  type PixelBatch,
} from '../../../../src-main/engine/blip2/vision-encoder.ts';
import type { ConvertedModel } from '../../../../src-main/engine/blip2/converted-model.ts';
import {
  floatTensor,
  int64Tensor,
  maskTensor,
  type Tensor,
} from '../../../../src-main/engine/runtime/tensor.ts';
import { SafetensorsFile } from '../../../../native-models/checkpoint/safetensors.ts';
import {
  FIXTURE_DIR,
  GOLDEN_IMAGE_NAMES,
  TOLERANCE,
  compareClose,
  expectLogitsAlongTokens,
  imagePath,
} from '../../../support/golden.ts';
import {
  OPT_IMAGE_TOKEN_ID,
  writeRandomBlip2Checkpoint,
  type RandomBlip2Spec,
  type RandomCheckpoint,
} from '../../../support/random-checkpoint.ts';

/**
 * Random BLIP-2 checkpoints whose every dimension differs from the tiny fixture (and from each
 * other), converted with `models convert` and run by the engine, against the PyTorch reference
 * (shared/reference/blip2_ref.py via test/support/reference_run.py) on the same files.
 */

const CPU = { providers: ['cpu'] as const, intraOpThreads: 1 };
const IMAGES = GOLDEN_IMAGE_NAMES.map(imagePath);
const PROMPTS = [null, 'Question: what is this? Answer:', 'a photo of'];
const ITM_TEXTS = [
  'a photo of a cat',
  'Question: what is this?',
  'two dogs playing in the snow near a red house',
];
const MAX_NEW_TOKENS = 8;
/** Below this, float32 summation order could flip a greedy choice: pick another seed instead. */
const MIN_GREEDY_MARGIN = 1e-3;
const PIXEL_TOLERANCE = { atol: 1e-6, rtol: 0 };

const PYTHON = '/usr/bin/python3';
const REFERENCE_SCRIPT = join(import.meta.dirname, '..', '..', '..', 'support', 'reference_run.py');
const REFERENCE_DIR = resolve(
  process.env.SIGHTLINE_REFERENCE_DIR ??
    join(import.meta.dirname, '..', '..', '..', '..', '..', 'shared', 'reference'),
);

/** Why the PyTorch comparison cannot run here, or null when it can. */
function referenceUnavailableReason(): string | null {
  if (!existsSync(join(REFERENCE_DIR, 'blip2_ref.py')))
    return `no blip2_ref.py in ${REFERENCE_DIR} (set SIGHTLINE_REFERENCE_DIR)`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy, PIL, regex'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message})`;
  if (probe.status !== 0)
    return `${PYTHON} cannot import torch/numpy/PIL/regex (${probe.stderr.trim().split('\n').at(-1) ?? ''})`;
  return null;
}
const NO_REFERENCE = referenceUnavailableReason();
const NEEDS_REFERENCE =
  NO_REFERENCE === null ? '' : ` [skipped: PyTorch reference unavailable: ${NO_REFERENCE}]`;

interface RefTensor {
  shape: number[];
  data: number[];
}

interface OptReference {
  pixel_values: RefTensor;
  vision_last_hidden_state: RefTensor;
  qformer_last_hidden_state: RefTensor;
  language_projection: RefTensor;
  input_ids: number[][];
  attention_mask: number[][];
  eos_token_id: number;
  pad_token_id: number;
  new_tokens: number[][];
  generated_text: string[];
  step_logits: RefTensor;
  greedy_top1_minus_top2: number[][];
}

interface ItmReference {
  pixel_values: RefTensor;
  vision_last_hidden_state: RefTensor;
  input_ids: number[][];
  attention_mask: number[][];
  qformer_query_output: RefTensor;
  image_feats: RefTensor;
  text_qformer_last_hidden_state: RefTensor;
  text_feat: RefTensor;
  itc_logits_per_image: RefTensor;
  itm_pairs: { image_index: number[]; text_index: number[] };
  itm_qformer_query_output: RefTensor;
  itm_logits: RefTensor;
  itm_probs: RefTensor;
}

function runReference(request: Record<string, unknown>): unknown {
  const run = spawnSync(PYTHON, [REFERENCE_SCRIPT], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    env: { ...process.env, SIGHTLINE_REFERENCE_DIR: REFERENCE_DIR },
  });
  if (run.status !== 0) throw new Error(`reference_run.py failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout);
}

function expectClose(
  actual: ArrayLike<number>,
  expected: RefTensor | ArrayLike<number>,
  tol: { atol: number; rtol: number },
): void {
  const want = 'data' in expected ? expected.data : expected;
  const result = compareClose(actual, want, tol.atol, tol.rtol);
  expect(result.ok, `max |diff| ${result.maxAbs} at ${result.worstIndex}`).toBe(true);
}

/** Rows of a [B, ...] tensor. */
function rows(t: Tensor<'float32'>, indices: readonly number[]): Tensor<'float32'> {
  const size = t.dims.slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(indices.length * size);
  indices.forEach((r, i) => out.set(t.data.subarray(r * size, (r + 1) * size), i * size));
  return floatTensor(out, [indices.length, ...t.dims.slice(1)]);
}

function visionTokens(spec: RandomBlip2Spec): number {
  return (spec.vision.imageSize / spec.vision.patchSize) ** 2 + 1;
}

function shapes(specs: ManifestGraph['inputs']): Record<string, (string | number)[]> {
  return Object.fromEntries(specs.map((s) => [s.name, s.shape]));
}

/** Every graph's declared inputs/outputs are the ones the ONNX file really has. */
async function expectSessionsMatchManifest(model: ConvertedModel): Promise<void> {
  for (const [name, graph] of Object.entries(model.manifest.graphs)) {
    const session = await model.session(name);
    expect([...session.inputNames].sort(), name).toEqual(graph.inputs.map((s) => s.name).sort());
    expect([...session.outputNames].sort(), name).toEqual(graph.outputs.map((s) => s.name).sort());
  }
}

/** Every tensor reads back bit for bit as written (fp16/bf16 upcast exactly). */
function expectCheckpointReadsExactly(ckpt: RandomCheckpoint, dtype: string): void {
  const reader = new HfCheckpoint(ckpt.dir);
  try {
    expect(reader.tensorNames.sort()).toEqual([...ckpt.tensors.keys()].sort());
    for (const [name, stored] of ckpt.tensors) {
      const read = reader.read(name, stored.shape);
      expect(read.storedDtype, name).toBe(dtype);
      expect(Buffer.from(read.data.buffer).equals(Buffer.from(stored.values.buffer)), name).toBe(
        true,
      );
    }
  } finally {
    reader.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The generator itself: same tensor layout as the real Hugging Face fixtures
// ---------------------------------------------------------------------------------------------

/** A spec with the dimensions a fixture's config.json states (read, not assumed). */
function specFromConfig(config: Record<string, unknown>, dtype: 'F32' | 'F16'): RandomBlip2Spec {
  const reader =
    (section: string | null) =>
    (key: string): number => {
      const holder = (section === null ? config : config[section]) as Record<string, unknown>;
      const value = holder[key];
      if (typeof value !== 'number')
        throw new Error(`config.json: ${section ?? ''}.${key} is not a number`);
      return value;
    };
  const [v, q, t, top] = [
    reader('vision_config'),
    reader('qformer_config'),
    reader('text_config'),
    reader(null),
  ];
  const architecture = (config.architectures as string[])[0] as RandomBlip2Spec['architecture'];
  return {
    architecture,
    seed: 9,
    dtype,
    vision: {
      hiddenSize: v('hidden_size'),
      numHeads: v('num_attention_heads'),
      numLayers: v('num_hidden_layers'),
      intermediateSize: v('intermediate_size'),
      imageSize: v('image_size'),
      patchSize: v('patch_size'),
    },
    qformer: {
      hiddenSize: q('hidden_size'),
      numHeads: q('num_attention_heads'),
      numLayers: q('num_hidden_layers'),
      intermediateSize: q('intermediate_size'),
      crossAttentionFrequency: q('cross_attention_frequency'),
      vocabSize: q('vocab_size'),
      maxPositionEmbeddings: q('max_position_embeddings'),
    },
    text:
      architecture === 'Blip2ForConditionalGeneration'
        ? {
            hiddenSize: t('hidden_size'),
            numHeads: t('num_attention_heads'),
            numLayers: t('num_hidden_layers'),
            ffnDim: t('ffn_dim'),
            vocabSize: t('vocab_size'),
            maxPositionEmbeddings: t('max_position_embeddings'),
          }
        : undefined,
    numQueryTokens: top('num_query_tokens'),
    imageTextHiddenSize: top('image_text_hidden_size'),
  };
}

function tensorLayout(path: string): Record<string, { dtype: string; shape: readonly number[] }> {
  const file = new SafetensorsFile(path);
  try {
    return Object.fromEntries(
      [...file.tensors.values()].map((t) => [t.name, { dtype: t.dtype, shape: t.shape }]),
    );
  } finally {
    file.close();
  }
}

describe.each([
  ['opt', 'F16'],
  ['itm', 'F32'],
] as const)('random checkpoint generator with the %s fixture dimensions', (name, dtype) => {
  it('writes exactly the tensor names, shapes and dtype of the real Hugging Face checkpoint', () => {
    const fixture = join(FIXTURE_DIR, name);
    const root = mkdtempSync(join(tmpdir(), 'sightline-layout-'));
    try {
      const config = JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      const written = writeRandomBlip2Checkpoint(join(root, name), specFromConfig(config, dtype));
      expect(tensorLayout(join(written.dir, 'model.safetensors'))).toEqual(
        tensorLayout(join(fixture, 'model.safetensors')),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Blip2ForConditionalGeneration (OPT)
// ---------------------------------------------------------------------------------------------

interface OptCase {
  name: string;
  spec: RandomBlip2Spec;
}

const OPT_CASES: OptCase[] = [
  {
    name: 'a: fp32, legacy config without image_token_index, cross-attention every layer, 3 vision heads',
    spec: {
      architecture: 'Blip2ForConditionalGeneration',
      seed: 1,
      vision: {
        hiddenSize: 48,
        numHeads: 3,
        numLayers: 3,
        intermediateSize: 80,
        imageSize: 70,
        patchSize: 14,
      },
      qformer: {
        hiddenSize: 40,
        numHeads: 5,
        numLayers: 3,
        intermediateSize: 56,
        crossAttentionFrequency: 1,
      },
      text: { hiddenSize: 24, numHeads: 2, numLayers: 3, ffnDim: 40 },
      numQueryTokens: 6,
      legacyNoImageToken: true,
    },
  },
  {
    name: 'b: bf16, q_bias+v_bias, 2 shards, lm_head stored, cross-attention every 3rd layer, patch 8',
    spec: {
      architecture: 'Blip2ForConditionalGeneration',
      seed: 2,
      vision: {
        hiddenSize: 36,
        numHeads: 4,
        numLayers: 2,
        intermediateSize: 72,
        imageSize: 64,
        patchSize: 8,
      },
      qformer: {
        hiddenSize: 48,
        numHeads: 6,
        numLayers: 4,
        intermediateSize: 64,
        crossAttentionFrequency: 3,
      },
      text: {
        hiddenSize: 40,
        numHeads: 5,
        numLayers: 2,
        ffnDim: 72,
        vocabSize: 416,
        maxPositionEmbeddings: 48,
        eosTokenId: 250,
      },
      numQueryTokens: 10,
      dtype: 'BF16',
      qkvLayout: 'q_bias+v_bias',
      shards: 2,
      lmHeadStored: true,
    },
  },
  {
    name: 'd: fp16, post-LN OPT (do_layer_norm_before false, no final LayerNorm)',
    spec: {
      architecture: 'Blip2ForConditionalGeneration',
      seed: 4,
      vision: {
        hiddenSize: 32,
        numHeads: 2,
        numLayers: 2,
        intermediateSize: 48,
        imageSize: 42,
        patchSize: 14,
      },
      qformer: {
        hiddenSize: 32,
        numHeads: 2,
        numLayers: 2,
        intermediateSize: 48,
        crossAttentionFrequency: 2,
      },
      text: { hiddenSize: 32, numHeads: 4, numLayers: 2, ffnDim: 48, doLayerNormBefore: false },
      numQueryTokens: 4,
      dtype: 'F16',
    },
  },
  {
    // Like opt-350m's project_in/project_out. HF's BLIP-2 sizes language_projection by
    // text hidden_size and so cannot run such a model; the reference (and the converter) feed
    // the projection into the word-embedding width, the only layout that type-checks.
    name: 'e: word_embed_proj_dim 16 != hidden 32 (project_in / project_out)',
    spec: {
      architecture: 'Blip2ForConditionalGeneration',
      seed: 5,
      vision: {
        hiddenSize: 24,
        numHeads: 2,
        numLayers: 1,
        intermediateSize: 40,
        imageSize: 28,
        patchSize: 14,
      },
      qformer: {
        hiddenSize: 24,
        numHeads: 3,
        numLayers: 2,
        intermediateSize: 40,
        crossAttentionFrequency: 2,
      },
      // An EOS these weights emit early: one row stops at once, another mid-way (batch finishing).
      text: {
        hiddenSize: 32,
        numHeads: 2,
        numLayers: 2,
        ffnDim: 48,
        wordEmbedProjDim: 16,
        eosTokenId: 142,
      },
      numQueryTokens: 3,
    },
  },
];

function expectOptManifest(manifest: Manifest, spec: RandomBlip2Spec): void {
  const { vision: v, qformer: q } = spec;
  const t = spec.text!;
  const P = t.wordEmbedProjDim ?? t.hiddenSize;
  const headDim = t.hiddenSize / t.numHeads;
  const V = t.vocabSize ?? 420;
  expect(manifest.architecture).toBe('Blip2ForConditionalGeneration');
  expect(manifest.numQueryTokens).toBe(spec.numQueryTokens);
  expect(manifest.imageSize).toBe(v.imageSize);
  expect(manifest.imageTokenIndex).toBe(spec.legacyNoImageToken ? null : OPT_IMAGE_TOKEN_ID);
  expect(manifest.source.weightsDtype).toBe(spec.dtype ?? 'F32');
  expect(manifest.qformerMaxTextLength).toBeNull();
  expect(manifest.text).toEqual({
    vocabSize: V,
    hiddenSize: P,
    numLayers: t.numLayers,
    numHeads: t.numHeads,
    headDim,
    maxPositions: t.maxPositionEmbeddings ?? 64,
    bosTokenId: 2,
    padTokenId: 1,
    eosTokenIds: [t.eosTokenId ?? 196],
  });
  const g = manifest.graphs;
  expect(Object.keys(g).sort()).toEqual(['decoder', 'qformer', 'vision']);
  expect(shapes(g.vision!.inputs)).toEqual({
    pixel_values: ['batch', 3, v.imageSize, v.imageSize],
  });
  expect(shapes(g.vision!.outputs)).toEqual({
    image_embeds: ['batch', visionTokens(spec), v.hiddenSize],
  });
  expect(shapes(g.qformer!.inputs)).toEqual({
    image_embeds: ['batch', 'vision_tokens', v.hiddenSize],
  });
  expect(shapes(g.qformer!.outputs)).toEqual({
    query_output: ['batch', spec.numQueryTokens, q.hiddenSize],
    language_inputs: ['batch', spec.numQueryTokens, P],
  });
  // GroupQueryAttention on a shared buffer where onnxruntime's CPU kernel takes the head size.
  const shared = kvCacheLayoutFor(headDim) === 'shared-buffer';
  const past: Record<string, (string | number)[]> = {};
  const present: Record<string, (string | number)[]> = {};
  for (let i = 0; i < t.numLayers; i++) {
    for (const kind of ['key', 'value']) {
      past[`past_key_values.${i}.${kind}`] = shared
        ? ['batch', t.numHeads, 'max_sequence', headDim]
        : ['past_batch', t.numHeads, 'past_sequence', headDim];
      present[`present.${i}.${kind}`] = shared
        ? ['batch', t.numHeads, 'max_sequence', headDim]
        : ['batch', t.numHeads, 'total_sequence', headDim];
    }
  }
  expect(shapes(g.decoder!.inputs)).toEqual({
    inputs_embeds: ['batch', 'prefix_sequence', P],
    input_ids: ['batch', 'token_sequence'],
    attention_mask: ['batch', 'total_sequence'],
    position_ids: ['batch', 'sequence'],
    ...(shared ? {} : { beam_idx: ['batch'] }),
    ...past,
  });
  expect(shapes(g.decoder!.outputs)).toEqual({ ...present, logits: ['batch', V] });
}

/** The reference's smallest top1 - top2 logit gap over the steps where each row was still generating. */
function minLiveMargin(ref: OptReference): number {
  let smallest = Infinity;
  ref.greedy_top1_minus_top2.forEach((stepMargins, step) => {
    stepMargins.forEach((margin, row) => {
      const finished = ref.new_tokens[row]!.slice(0, step).includes(ref.eos_token_id);
      if (!finished) smallest = Math.min(smallest, margin);
    });
  });
  return smallest;
}

describe.each(OPT_CASES.map((c) => [c.name, c] as const))(
  'OPT checkpoint %s',
  (_name, { spec }) => {
    let root: string;
    let ckpt: RandomCheckpoint;
    let captioner: Blip2Captioner;
    let pixels: PixelBatch;
    let imageEmbeds: Tensor<'float32'>;
    let ref: OptReference;

    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), 'sightline-other-config-'));
      ckpt = writeRandomBlip2Checkpoint(join(root, 'hf'), spec);
      const converted = convertCheckpoint(ckpt.dir, join(root, 'onnx'));
      captioner = await Blip2Captioner.load(converted.outDir, CPU);
      pixels = await loadPixelBatch(captioner.model, IMAGES);
      imageEmbeds = await encodeImages(captioner.model, pixels);
      if (NO_REFERENCE === null) {
        // The reference reads only model.safetensors: give it an unsharded copy of the same weights.
        const referenceDir =
          (spec.shards ?? 1) > 1
            ? writeRandomBlip2Checkpoint(join(root, 'hf-single'), { ...spec, shards: 1 }).dir
            : ckpt.dir;
        ref = runReference({
          checkpoint: referenceDir,
          images: IMAGES,
          prompts: PROMPTS,
          max_new_tokens: MAX_NEW_TOKENS,
        }) as OptReference;
      }
    }, 120_000);

    afterAll(async () => {
      await captioner.release();
      if (root) rmSync(root, { recursive: true, force: true });
    });

    it('reads every stored tensor exactly', () => {
      expectCheckpointReadsExactly(ckpt, spec.dtype ?? 'F32');
    });

    it('writes a manifest whose graphs match the config dimensions and the ONNX files', async () => {
      expectOptManifest(captioner.model.manifest, spec);
      await expectSessionsMatchManifest(captioner.model);
      expect(imageEmbeds.dims).toEqual([IMAGES.length, visionTokens(spec), spec.vision.hiddenSize]);
    });

    it.skipIf(NO_REFERENCE !== null)(
      `pixel values, vision tower, Q-Former and projection match the reference${NEEDS_REFERENCE}`,
      async () => {
        expect(pixels.dims).toEqual(ref.pixel_values.shape);
        expectClose(pixels.data, ref.pixel_values, PIXEL_TOLERANCE);
        expectClose(imageEmbeds.data, ref.vision_last_hidden_state, TOLERANCE.features);
        const { queryOutput, languageInputs } = await captioner.projectImages(imageEmbeds);
        expect(languageInputs.dims).toEqual(ref.language_projection.shape);
        expectClose(queryOutput.data, ref.qformer_last_hidden_state, TOLERANCE.features);
        expectClose(languageInputs.data, ref.language_projection, TOLERANCE.features);
      },
    );

    it.skipIf(NO_REFERENCE !== null)(
      `builds the reference input_ids and mask, and its prefill + step logits${NEEDS_REFERENCE}`,
      async () => {
        const inputs = captioner.buildInputs(PROMPTS);
        expect(inputs.layout).toBe(spec.legacyNoImageToken ? 'prepend-queries' : 'image-tokens');
        expect(inputs.inputIds).toEqual(ref.input_ids);
        expect(inputs.attentionMask).toEqual(ref.attention_mask);
        const { languageInputs } = await captioner.projectImages(imageEmbeds);
        const prompt = captioner.buildPrompt(languageInputs, inputs);
        const lm = captioner.languageModel;
        await expectLogitsAlongTokens(lm, prompt, inputs.attentionMask, ref.new_tokens, {
          shape: ref.step_logits.shape,
          values: Float32Array.from(ref.step_logits.data),
        });
      },
    );

    it.skipIf(NO_REFERENCE !== null)(
      `greedy generation gives exactly the reference tokens and text${NEEDS_REFERENCE}`,
      async () => {
        expect(
          minLiveMargin(ref),
          'reference argmax margin too thin for a meaningful test: choose another seed',
        ).toBeGreaterThan(MIN_GREEDY_MARGIN);
        const results = await captioner.generate(imageEmbeds, PROMPTS, {
          maxNewTokens: MAX_NEW_TOKENS,
        });
        // Reference rows are right-filled with pad after EOS; ours stop at EOS (inclusive).
        const expected = ref.new_tokens.map((row) => {
          const eos = row.indexOf(ref.eos_token_id);
          return eos < 0 ? row : row.slice(0, eos + 1);
        });
        expect(results.map((r) => r.tokenIds)).toEqual(expected);
        expect(results.map((r) => r.text)).toEqual(ref.generated_text);
      },
    );

    it('beam search over the batch equals each image alone (the KV cache layout of this head size)', async () => {
      const options = { maxNewTokens: MAX_NEW_TOKENS, numBeams: 3, repetitionPenalty: 1.3 };
      const batch = await captioner.generate(imageEmbeds, PROMPTS, options);
      const size = imageEmbeds.dims.slice(1).reduce((a, b) => a * b, 1);
      for (const [row, prompt] of PROMPTS.entries()) {
        const one = floatTensor(imageEmbeds.data.slice(row * size, (row + 1) * size), [
          1,
          ...imageEmbeds.dims.slice(1),
        ]);
        const [alone] = await captioner.generate(one, [prompt], options);
        expect(batch[row]).toEqual(alone);
      }
    });
  },
);

// ---------------------------------------------------------------------------------------------
// Sharded bf16 checkpoint == its unsharded copy (needs no reference)
// ---------------------------------------------------------------------------------------------

describe('a sharded checkpoint converts exactly like its unsharded copy', () => {
  const spec = OPT_CASES[1]!.spec;
  let root: string;
  let sharded: RandomCheckpoint;
  let single: RandomCheckpoint;
  let shardedOut: string;
  let singleOut: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'sightline-shards-'));
    sharded = writeRandomBlip2Checkpoint(join(root, 'sharded'), spec);
    single = writeRandomBlip2Checkpoint(join(root, 'single'), { ...spec, shards: 1 });
    shardedOut = convertCheckpoint(sharded.dir, join(root, 'sharded-onnx')).outDir;
    singleOut = convertCheckpoint(single.dir, join(root, 'single-onnx')).outDir;
  }, 60_000);

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('really is sharded, with an index covering every tensor', () => {
    expect(sharded.weightFiles).toEqual([
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    const index = JSON.parse(
      readFileSync(join(sharded.dir, 'model.safetensors.index.json'), 'utf8'),
    ) as { weight_map: Record<string, string> };
    expect(Object.keys(index.weight_map).sort()).toEqual([...sharded.tensors.keys()].sort());
    expect(new Set(Object.values(index.weight_map)).size).toBe(2);
    expect(existsSync(join(sharded.dir, 'model.safetensors'))).toBe(false);
  });

  it('graph weights are byte-identical and the vision fingerprint is shared', () => {
    const a = JSON.parse(
      readFileSync(join(shardedOut, 'sightline-manifest.json'), 'utf8'),
    ) as Manifest;
    const b = JSON.parse(
      readFileSync(join(singleOut, 'sightline-manifest.json'), 'utf8'),
    ) as Manifest;
    expect(a.visionFingerprint).toBe(b.visionFingerprint);
    expect(a.graphs).toEqual(b.graphs);
    for (const graph of Object.values(a.graphs)) {
      expect(
        readFileSync(join(shardedOut, graph.dataFile)).equals(
          readFileSync(join(singleOut, graph.dataFile)),
        ),
        graph.dataFile,
      ).toBe(true);
    }
  });

  it('runs to bit-identical image embeddings, projections and logits', async () => {
    const [x, y] = await Promise.all([
      Blip2Captioner.load(shardedOut, CPU),
      Blip2Captioner.load(singleOut, CPU),
    ]);
    try {
      const pixels = await loadPixelBatch(x.model, IMAGES);
      const [ex, ey] = [await encodeImages(x.model, pixels), await encodeImages(y.model, pixels)];
      expect(Buffer.from(ex.data.buffer).equals(Buffer.from(ey.data.buffer))).toBe(true);
      const [px, py] = [await x.projectImages(ex), await y.projectImages(ey)];
      expect(
        Buffer.from(px.languageInputs.data.buffer).equals(
          Buffer.from(py.languageInputs.data.buffer),
        ),
      ).toBe(true);
      const inputs = x.buildInputs(PROMPTS);
      const [sx, sy] = [
        x.buildPrompt(px.languageInputs, inputs),
        y.buildPrompt(py.languageInputs, inputs),
      ];
      const [lx, ly] = [
        await x.languageModel.prefill(
          sx.queryEmbeds.data,
          sx.queryEmbeds.dims as [number, number, number],
          inputs.attentionMask,
          sx.tokenIds,
        ),
        await y.languageModel.prefill(
          sy.queryEmbeds.data,
          sy.queryEmbeds.dims as [number, number, number],
          inputs.attentionMask,
          sy.tokenIds,
        ),
      ];
      expect(
        Buffer.from(lx.logits.buffer, lx.logits.byteOffset, lx.logits.byteLength).equals(
          Buffer.from(ly.logits.buffer, ly.logits.byteOffset, ly.logits.byteLength),
        ),
      ).toBe(true);
      lx.cache.dispose();
      ly.cache.dispose();
    } finally {
      await x.release();
      await y.release();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Blip2ForImageTextRetrieval
// ---------------------------------------------------------------------------------------------

const ITM_SPEC: RandomBlip2Spec = {
  architecture: 'Blip2ForImageTextRetrieval',
  seed: 3,
  vision: {
    hiddenSize: 40,
    numHeads: 5,
    numLayers: 2,
    intermediateSize: 64,
    imageSize: 56,
    patchSize: 14,
  },
  qformer: {
    hiddenSize: 48,
    numHeads: 4,
    numLayers: 3,
    intermediateSize: 64,
    crossAttentionFrequency: 2,
    vocabSize: 160,
    maxPositionEmbeddings: 40,
  },
  numQueryTokens: 5,
  imageTextHiddenSize: 12,
  dtype: 'F16',
};

describe('ITM checkpoint c: fp16, Q-Former 4 heads x 12, image_text_hidden_size 12, 40 text positions', () => {
  const spec = ITM_SPEC;
  const Q = spec.numQueryTokens;
  const E = spec.imageTextHiddenSize!;
  const Dq = spec.qformer.hiddenSize;
  let root: string;
  let ckpt: RandomCheckpoint;
  let retrieval: Blip2Retrieval;
  let pixels: PixelBatch;
  let imageEmbeds: Tensor<'float32'>;
  let ref: ItmReference;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'sightline-other-itm-'));
    ckpt = writeRandomBlip2Checkpoint(join(root, 'hf'), spec);
    const converted = convertCheckpoint(ckpt.dir, join(root, 'onnx'));
    retrieval = await Blip2Retrieval.load(converted.outDir, CPU);
    pixels = await loadPixelBatch(retrieval.model, IMAGES);
    imageEmbeds = await encodeImages(retrieval.model, pixels);
    if (NO_REFERENCE === null)
      ref = runReference({
        checkpoint: ckpt.dir,
        images: IMAGES,
        texts: ITM_TEXTS,
      }) as ItmReference;
  }, 120_000);

  afterAll(async () => {
    await retrieval.release();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('reads every stored tensor exactly', () => {
    expectCheckpointReadsExactly(ckpt, 'F16');
  });

  it('writes a manifest whose graphs match the config dimensions and the ONNX files', async () => {
    const m = retrieval.model.manifest;
    const v = spec.vision;
    expect(m.architecture).toBe('Blip2ForImageTextRetrieval');
    expect(m.numQueryTokens).toBe(Q);
    expect(m.imageSize).toBe(v.imageSize);
    expect(m.text).toBeNull();
    expect(m.imageTokenIndex).toBeNull();
    expect(m.qformerMaxTextLength).toBe(spec.qformer.maxPositionEmbeddings);
    expect(m.source.weightsDtype).toBe('F16');
    const g = m.graphs;
    expect(Object.keys(g).sort()).toEqual(['image_features', 'itm', 'text_features', 'vision']);
    expect(shapes(g.vision!.outputs)).toEqual({
      image_embeds: ['batch', visionTokens(spec), v.hiddenSize],
    });
    expect(shapes(g.image_features!.inputs)).toEqual({
      image_embeds: ['batch', 'vision_tokens', v.hiddenSize],
    });
    expect(shapes(g.image_features!.outputs)).toEqual({
      query_output: ['batch', Q, Dq],
      image_feats: ['batch', Q, E],
    });
    expect(shapes(g.text_features!.inputs)).toEqual({
      input_ids: ['batch', 'text_length'],
      attention_mask: ['batch', 'text_length'],
    });
    expect(shapes(g.text_features!.outputs)).toEqual({
      text_hidden_state: ['batch', 'text_length', Dq],
      text_feat: ['batch', E],
    });
    expect(shapes(g.itm!.inputs)).toEqual({
      image_embeds: ['batch', 'vision_tokens', v.hiddenSize],
      input_ids: ['batch', 'text_length'],
      attention_mask: ['batch', 'text_length'],
    });
    expect(shapes(g.itm!.outputs)).toEqual({
      query_output: ['batch', Q, Dq],
      itm_logits: ['batch', 2],
    });
    await expectSessionsMatchManifest(retrieval.model);
  });

  it.skipIf(NO_REFERENCE !== null)(
    `pixel values, vision tower and ITC image features match the reference${NEEDS_REFERENCE}`,
    async () => {
      expectClose(pixels.data, ref.pixel_values, PIXEL_TOLERANCE);
      expectClose(imageEmbeds.data, ref.vision_last_hidden_state, TOLERANCE.features);
      const out = await (
        await retrieval.model.session('image_features')
      ).run({ image_embeds: imageEmbeds });
      expectClose(
        out.query_output!.data as Float32Array,
        ref.qformer_query_output,
        TOLERANCE.features,
      );
      expectClose(out.image_feats!.data as Float32Array, ref.image_feats, TOLERANCE.features);
    },
  );

  it.skipIf(NO_REFERENCE !== null)(
    `text inputs, text hidden states and ITC text features match the reference${NEEDS_REFERENCE}`,
    async () => {
      const inputs = retrieval.textInputs(ITM_TEXTS);
      expect(inputs).toEqual({ inputIds: ref.input_ids, attentionMask: ref.attention_mask });
      const out = await (
        await retrieval.model.session('text_features')
      ).run({
        input_ids: int64Tensor(inputs.inputIds),
        attention_mask: maskTensor(inputs.attentionMask),
      });
      expectClose(
        out.text_hidden_state!.data as Float32Array,
        ref.text_qformer_last_hidden_state,
        TOLERANCE.features,
      );
      expectClose(
        (await retrieval.textFeatures(ITM_TEXTS)).data,
        ref.text_feat,
        TOLERANCE.features,
      );
    },
  );

  it.skipIf(NO_REFERENCE !== null)(
    `ITC scores (max over queries) match the reference${NEEDS_REFERENCE}`,
    async () => {
      const imageFeats = await retrieval.imageFeatures(imageEmbeds);
      const textFeats = await retrieval.textFeatures(ITM_TEXTS);
      const scores: number[] = [];
      for (let i = 0; i < IMAGES.length; i++) {
        for (let t = 0; t < ITM_TEXTS.length; t++) {
          scores.push(
            itcScore(
              imageFeats.data.subarray(i * Q * E, (i + 1) * Q * E),
              textFeats.data.subarray(t * E, (t + 1) * E),
            ),
          );
        }
      }
      expectClose(scores, ref.itc_logits_per_image, TOLERANCE.scores);
    },
  );

  it.skipIf(NO_REFERENCE !== null)(
    `ITM logits, query outputs and probabilities match for every pair${NEEDS_REFERENCE}`,
    async () => {
      const { image_index, text_index } = ref.itm_pairs;
      const embeds = rows(imageEmbeds, image_index);
      const texts = text_index.map((t) => ITM_TEXTS[t]!);
      const { logits, probabilities } = await retrieval.itm(embeds, texts);
      expectClose(logits, ref.itm_logits, TOLERANCE.scores);
      expectClose(probabilities, ref.itm_probs, TOLERANCE.scores);
      const inputs = retrieval.textInputs(texts);
      const out = await (
        await retrieval.model.session('itm')
      ).run({
        image_embeds: embeds,
        input_ids: int64Tensor(inputs.inputIds),
        attention_mask: maskTensor(inputs.attentionMask),
      });
      expectClose(
        out.query_output!.data as Float32Array,
        ref.itm_qformer_query_output,
        TOLERANCE.features,
      );
    },
  );
});
