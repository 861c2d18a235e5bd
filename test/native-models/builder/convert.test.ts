import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SafetensorsWriter,
  encodeFloats,
} from '../../../native-models/checkpoint/safetensors-writer.ts';
import {
  convertCheckpoint,
  detectHubOrigin,
  type ConvertProgress,
} from '../../../native-models/builder/convert.ts';
import { MANIFEST_FILE, manifestSchema } from '../../../native-models/manifest.ts';
import {
  writeRandomBlip2Checkpoint,
  type RandomBlip2Spec,
  type StoredTensor,
} from '../../support/random-checkpoint.ts';

const tmp = mkdtempSync(join(tmpdir(), 'sightline-convert-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;

/** Small but complete: every code path of the OPT converter, in milliseconds. */
const TINY: RandomBlip2Spec = {
  architecture: 'Blip2ForConditionalGeneration',
  seed: 7,
  vision: {
    hiddenSize: 8,
    numHeads: 2,
    numLayers: 1,
    intermediateSize: 12,
    imageSize: 28,
    patchSize: 14,
  },
  qformer: {
    hiddenSize: 8,
    numHeads: 2,
    numLayers: 2,
    intermediateSize: 12,
    crossAttentionFrequency: 2,
  },
  text: { hiddenSize: 8, numHeads: 2, numLayers: 1, ffnDim: 12, vocabSize: 408 },
  numQueryTokens: 2,
};

function tinyCheckpoint(spec: Partial<RandomBlip2Spec> = {}): {
  dir: string;
  tensors: Map<string, StoredTensor>;
} {
  const written = writeRandomBlip2Checkpoint(join(tmp, `hf${counter++}`), { ...TINY, ...spec });
  return { dir: written.dir, tensors: written.tensors };
}

/** Replaces model.safetensors with the given tensors (F32). */
function rewriteWeights(dir: string, tensors: Map<string, StoredTensor>): void {
  const entries = [...tensors.entries()];
  const w = new SafetensorsWriter(
    join(dir, 'model.safetensors'),
    entries.map(([name, t]) => ({ name, dtype: 'F32', shape: t.shape })),
  );
  for (const [, t] of entries) w.write(encodeFloats(t.values, 'F32'));
  w.close();
}

const outDir = (): string => join(tmp, `out${counter++}`);

describe('convertCheckpoint', () => {
  it('writes the graphs, the companion files and a valid manifest, the manifest last', () => {
    const { dir } = tinyCheckpoint();
    const out = outDir();
    const progress: ConvertProgress[] = [];
    const result = convertCheckpoint(dir, out, {
      onProgress: (p) => {
        // A folder is usable only once the manifest exists: never before every graph is written.
        expect(existsSync(join(out, MANIFEST_FILE))).toBe(false);
        progress.push(p);
      },
    });
    const manifest = manifestSchema.parse(
      JSON.parse(readFileSync(join(out, MANIFEST_FILE), 'utf8')),
    );
    expect(manifest).toEqual(result.manifest);
    expect(new Set(progress.map((p) => p.graph))).toEqual(new Set(Object.keys(manifest.graphs)));
    expect(progress.at(-1)!.bytesRead).toBeLessThanOrEqual(progress.at(-1)!.bytesTotal);
    expect(manifest.copiedFiles).toEqual(
      expect.arrayContaining([
        'config.json',
        'tokenizer.json',
        'preprocessor_config.json',
        'generation_config.json',
      ]),
    );
    const manifestTime = statSync(join(out, MANIFEST_FILE)).mtimeMs;
    for (const graph of Object.values(manifest.graphs)) {
      for (const file of [graph.file, graph.dataFile])
        expect(statSync(join(out, file)).mtimeMs).toBeLessThanOrEqual(manifestTime);
    }
    for (const file of manifest.copiedFiles)
      expect(readFileSync(join(out, file))).toEqual(readFileSync(join(dir, file)));
  });

  it('an extra tensor no converter knows fails the conversion, naming it, and leaves no manifest', () => {
    const { dir, tensors } = tinyCheckpoint();
    tensors.set('vision_model.encoder.layers.0.mystery_scale', {
      shape: [3],
      values: new Float32Array(3),
    });
    rewriteWeights(dir, tensors);
    const out = outDir();
    expect(() => convertCheckpoint(dir, out)).toThrow(
      /not mapped by the converter: vision_model\.encoder\.layers\.0\.mystery_scale/,
    );
    expect(existsSync(join(out, MANIFEST_FILE))).toBe(false);
  });

  it('a missing tensor fails the conversion, naming it, and leaves no manifest', () => {
    const { dir, tensors } = tinyCheckpoint();
    tensors.delete('qformer.encoder.layer.1.output_query.LayerNorm.bias');
    rewriteWeights(dir, tensors);
    const out = outDir();
    expect(() => convertCheckpoint(dir, out)).toThrow(
      /no tensor named qformer\.encoder\.layer\.1\.output_query\.LayerNorm\.bias/,
    );
    expect(existsSync(join(out, MANIFEST_FILE))).toBe(false);
  });

  it('a tensor whose shape disagrees with config.json fails, naming it', () => {
    const { dir, tensors } = tinyCheckpoint();
    tensors.set('language_projection.bias', { shape: [9], values: new Float32Array(9) });
    rewriteWeights(dir, tensors);
    expect(() => convertCheckpoint(dir, outDir())).toThrow(
      /tensor language_projection\.bias has shape \[9\], config implies \[8\]/,
    );
  });

  it('refuses to overwrite an existing conversion without force; with force, a failed rerun leaves no stale manifest', () => {
    const { dir } = tinyCheckpoint();
    const out = outDir();
    convertCheckpoint(dir, out);
    expect(() => convertCheckpoint(dir, out)).toThrow(
      /already holds a converted model \(use --force/,
    );
    const again = convertCheckpoint(dir, out, { force: true });
    expect(again.manifest.architecture).toBe('Blip2ForConditionalGeneration');

    const { dir: broken, tensors } = tinyCheckpoint();
    tensors.delete('query_tokens');
    rewriteWeights(broken, tensors);
    expect(() => convertCheckpoint(broken, out, { force: true })).toThrow(
      /no tensor named query_tokens/,
    );
    expect(existsSync(join(out, MANIFEST_FILE))).toBe(false);
  });

  it('a folder with only .bin weights, or of an unsupported architecture, is refused with a reason', () => {
    const { dir } = tinyCheckpoint();
    unlinkSync(join(dir, 'model.safetensors'));
    writeFileSync(join(dir, 'pytorch_model.bin'), Buffer.from('PK'));
    const out = outDir();
    expect(() => convertCheckpoint(dir, out)).toThrow(/only PyTorch \.bin weights found/);
    expect(existsSync(join(out, MANIFEST_FILE))).toBe(false);

    const { dir: other } = tinyCheckpoint();
    const config = JSON.parse(readFileSync(join(other, 'config.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    writeFileSync(
      join(other, 'config.json'),
      JSON.stringify({ ...config, architectures: ['Blip2ForQuestionAnswering'] }),
    );
    expect(() => convertCheckpoint(other, outDir())).toThrow(
      /architecture Blip2ForQuestionAnswering is not supported; supported: Blip2ForConditionalGeneration, Blip2ForImageTextRetrieval/,
    );
  });

  it('converts the old q_bias/v_bias layout to the same graph weights and vision fingerprint as qkv.bias', () => {
    const fused = convertCheckpoint(tinyCheckpoint().dir, outDir());
    const split = convertCheckpoint(tinyCheckpoint({ qkvLayout: 'q_bias+v_bias' }).dir, outDir());
    const data = (r: typeof fused): Buffer =>
      readFileSync(join(r.outDir, r.manifest.graphs.vision!.dataFile));
    expect(data(split).equals(data(fused))).toBe(true);
    expect(split.manifest.visionFingerprint).toBe(fused.manifest.visionFingerprint);
  });
});

describe('detectHubOrigin', () => {
  it('reads repo id and commit from a Hugging Face cache snapshot path', () => {
    expect(
      detectHubOrigin(
        '/home/u/.cache/huggingface/hub/models--Salesforce--blip2-opt-2.7b/snapshots/51572668da0eb669e01a189dc22abe6088589a24',
      ),
    ).toEqual({
      repoId: 'Salesforce/blip2-opt-2.7b',
      revision: '51572668da0eb669e01a189dc22abe6088589a24',
    });
    expect(detectHubOrigin('/data/models/blip2')).toEqual({ repoId: null, revision: null });
  });
});
