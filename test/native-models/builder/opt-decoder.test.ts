import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../../native-models/builder/convert.ts';
import { onnx } from '../../../native-models/onnx/proto.ts';
import {
  writeRandomBlip2Checkpoint,
  type RandomBlip2Spec,
} from '../../support/random-checkpoint.ts';

const tmp = mkdtempSync(join(tmpdir(), 'sightline-opt-decoder-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SPEC: RandomBlip2Spec = {
  architecture: 'Blip2ForConditionalGeneration',
  seed: 11,
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
  text: { hiddenSize: 16, numHeads: 2, numLayers: 2, ffnDim: 24, vocabSize: 408 },
  numQueryTokens: 2,
};

/** Name → bytes of every external initializer of a converted graph. */
function externalInitializers(graphPath: string): Map<string, number> {
  const model = onnx.ModelProto.decode(readFileSync(graphPath));
  const out = new Map<string, number>();
  for (const init of model.graph!.initializer!) {
    const length = init.externalData?.find((e) => e.key === 'length')?.value;
    if (length !== undefined && length !== null) out.set(init.name!, Number(length));
  }
  return out;
}

describe('converted OPT decoder', () => {
  it.each([
    ['lm_head not stored (tied, as save_pretrained writes it)', false],
    ['lm_head stored as a copy of embed_tokens', true],
  ])('stores the token-embedding table once: %s', (_name, lmHeadStored) => {
    const hf = writeRandomBlip2Checkpoint(join(tmp, `hf-${String(lmHeadStored)}`), {
      ...SPEC,
      lmHeadStored,
    });
    const out = join(tmp, `out-${String(lmHeadStored)}`);
    const { manifest } = convertCheckpoint(hf.dir, out);
    expect(Object.keys(manifest.graphs).sort()).toEqual(['decoder', 'qformer', 'vision']);

    const [vocab, width] = hf.tensors.get(
      'language_model.model.decoder.embed_tokens.weight',
    )!.shape;
    const tables = Object.values(manifest.graphs).flatMap((graph) =>
      [...externalInitializers(join(out, graph.file)).values()].filter(
        (bytes) => bytes === vocab! * width! * 4,
      ),
    );
    expect(tables).toHaveLength(1);
    const weights = externalInitializers(join(out, manifest.graphs.decoder!.file));
    // Every language-model tensor of the checkpoint once, as float32, and nothing else.
    let expected = 0;
    for (const [name, t] of hf.tensors) {
      if (name.startsWith('language_model.') && name !== 'language_model.lm_head.weight')
        expected += t.values.length * 4;
    }
    const total = [...weights.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(expected);
  });
});
