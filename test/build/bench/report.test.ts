import { describe, expect, it } from 'vitest';
import { parseBlip2Config } from '../../../native-models/builder/architectures/blip-2-config.ts';
import { moduleFormats } from '../../../native-models/builder/precision.ts';
import { decoderFeeds, decoderLastLogits } from '../../../build/bench/decoder-adapter.ts';
import { benchConfig } from '../../../build/bench/model-config.ts';
import { formatKey, type OurGraph } from '../../../build/bench/our-graphs.ts';
import { agreement, summarizeStages } from '../../../build/bench/report.ts';
import type { StageResult } from '../../../build/bench/stage-runner.ts';
import { floatTensor, int64Tensor, Tensor } from '../../../src-main/engine/runtime/tensor.ts';

const config = parseBlip2Config(benchConfig('small'));
const EMBEDDINGS_ONLY = ['inputs_embeds', 'attention_mask', 'position_ids'];

describe('decoder adapter', () => {
  it('puts the prefix before the looked-up ids, row by row, with positions after the cache', () => {
    const D = config.text.wordEmbedProjDim;
    const prefix = floatTensor(
      Float32Array.from({ length: 2 * 3 * D }, (_, i) => i),
      [2, 3, D],
    );
    const looked: number[][] = [];
    const feeds = decoderFeeds(
      {
        prefixEmbeds: prefix,
        inputIds: int64Tensor([
          [5, 6],
          [7, 8],
        ]),
        attentionMask: new Tensor('int64', new BigInt64Array(2 * 5).fill(1n), [2, 5]),
      },
      config,
      (ids) => {
        looked.push([...ids]);
        return Float32Array.from(
          { length: ids.length * D },
          (_, i) => -1 - ids[Math.floor(i / D)]!,
        );
      },
      EMBEDDINGS_ONLY,
    );
    expect(looked).toEqual([
      [5, 6],
      [7, 8],
    ]);
    const embeds = feeds.inputs_embeds!;
    expect(embeds.dims).toEqual([2, 5, D]);
    const row1 = (embeds.data as Float32Array).subarray(5 * D, 10 * D);
    expect(row1[0]).toBe(3 * D); // second row's prefix starts at its own offset
    expect(row1[3 * D]).toBe(-8); // then its first id (7)
    expect(Array.from(feeds.position_ids!.data as BigInt64Array, Number)).toEqual([
      0, 1, 2, 3, 4, 0, 1, 2, 3, 4,
    ]);
    expect(feeds['past_key_values.0.key']!.dims).toEqual([2, 4, 0, 16]);
  });

  it('continues positions after a cache and keeps the last position of every row', () => {
    const past = floatTensor(new Float32Array(1 * 4 * 7 * 16), [1, 4, 7, 16]);
    const feeds = decoderFeeds(
      {
        inputIds: int64Tensor([[9]]),
        attentionMask: new Tensor('int64', new BigInt64Array(8).fill(1n), [1, 8]),
        past: [
          { key: past, value: past },
          { key: past, value: past },
        ],
      },
      config,
      (ids) => new Float32Array(ids.length * config.text.wordEmbedProjDim),
      EMBEDDINGS_ONLY,
    );
    expect(Array.from(feeds.position_ids!.data as BigInt64Array, Number)).toEqual([7]);
    expect(feeds['past_key_values.1.value']).toBe(past);

    expect(feeds.input_ids).toBeUndefined();

    const logits = floatTensor(
      Float32Array.from({ length: 2 * 3 * 4 }, (_, i) => i),
      [2, 3, 4],
    );
    expect(decoderLastLogits({ logits })).toEqual({
      dims: [2, 4],
      data: Float32Array.from([8, 9, 10, 11, 20, 21, 22, 23]),
    });
  });

  it('feeds ids and the prefix apart to a graph that embeds its own ids', () => {
    const D = config.text.wordEmbedProjDim;
    const prefix = floatTensor(new Float32Array(3 * 2 * D), [3, 2, D]);
    const ids = int64Tensor([[5], [6], [7]]);
    const feeds = decoderFeeds(
      {
        prefixEmbeds: prefix,
        inputIds: ids,
        attentionMask: new Tensor('int64', new BigInt64Array(3 * 3).fill(1n), [3, 3]),
      },
      config,
      () => {
        throw new Error('no lookup: the graph embeds its ids');
      },
      [...EMBEDDINGS_ONLY, 'input_ids', 'beam_idx'],
    );
    expect(feeds.inputs_embeds).toBe(prefix);
    expect(feeds.input_ids).toBe(ids);
    expect(Array.from(feeds.beam_idx!.data as BigInt64Array, Number)).toEqual([0, 1, 2]);
    expect(Array.from(feeds.position_ids!.data as BigInt64Array, Number)).toEqual([
      0, 1, 2, 0, 1, 2, 0, 1, 2,
    ]);
    const last = floatTensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]);
    expect(decoderLastLogits({ logits: last }).dims).toEqual([3, 2]);
  });
});

describe('bench report', () => {
  it('measures agreement as max abs difference and cosine', () => {
    const a = { dims: [3], data: Float32Array.from([1, 0, 0]) };
    const b = { dims: [3], data: Float32Array.from([1, 1, 0]) };
    const result = agreement(a, b, 'HF fp32');
    expect(result.maxAbsDiff).toBe(1);
    expect(result.maxAbsReference).toBe(1);
    expect(result.cosine).toBeCloseTo(Math.SQRT1_2, 6);
    expect(() => agreement(a, { dims: [1, 3], data: b.data }, 'x')).toThrow(/shape/);
  });

  it('picks the fastest baseline per step and takes ratios from the runs of the same pairing', () => {
    const fp32 = moduleFormats('fp32').language;
    const int4 = moduleFormats('int4').language;
    const graph = (
      format: typeof fp32,
      precisions: OurGraph['precisions'],
      unavailable: string | null,
    ) => ({
      format,
      precisions,
      path: unavailable ? null : 'x.onnx',
      unavailable,
      diskBytes: 2000,
      weightBytes: 1000,
      convertSeconds: 0,
      ops: {},
      peakRssMb: unavailable ? null : 100,
    });
    const out = { dims: [1, 2], data: Float32Array.from([1, 2]) };
    const stage: StageResult = {
      name: 'decoder',
      graphs: [graph(fp32, ['fp32'], null), graph(int4, ['int4'], 'not implemented')],
      steps: [
        {
          label: 'decode rows=1 past=27',
          rows: 1,
          weightBound: true,
          graphs: {
            [formatKey(fp32)]: {
              oursMs: [10, 10, 30, 30],
              output: out,
              pairings: [
                {
                  baseline: 'HF fp32',
                  mode: 'interleaved',
                  oursMs: [10, 10],
                  baselineMs: [40, 40],
                },
                {
                  baseline: 'HF bf16',
                  mode: 'interleaved',
                  oursMs: [30, 30],
                  baselineMs: [15, 15],
                },
              ],
            },
          },
          baselines: {
            'HF fp32': { ms: [40, 40], output: out },
            'HF bf16': {
              ms: [15, 15],
              output: { dims: [1, 2], data: Float32Array.from([1, 2.5]) },
            },
          },
        },
      ],
      baselinePeakRssMb: { 'HF fp32': 500, 'HF bf16': 300 },
      baselineUnavailable: {},
      weightsFp16Bytes: 0,
      generateSeconds: 0,
    };
    const { rows, baselineRows } = summarizeStages([stage], ['fp32', 'int4'], 1e6);
    expect(rows).toHaveLength(2);
    const [ours, missing] = rows as [(typeof rows)[0], (typeof rows)[0]];
    expect(ours.oursMedianMs).toBe(20);
    expect(ours.best).toEqual({ baseline: 'HF bf16', medianMs: 15, ratio: 0.5 });
    expect(ours.baselines['HF fp32']!.ratio).toBe(4);
    expect(ours.parity).toBe(true);
    expect(ours.agreement?.against).toBe('HF fp32');
    // 1000 weight bytes at 1 MB/s: a 1 ms floor.
    expect(ours.overBandwidthFloor).toBeCloseTo(20, 9);
    expect(missing.unavailable).toBe('not implemented');
    expect(missing.oursMedianMs).toBeNull();
    expect(missing.baselines['HF bf16']!.ratio).toBeNull();
    expect(
      baselineRows.map((b) => [b.baseline, b.peakRssMb, b.agreement?.maxAbsDiff ?? null]),
    ).toEqual([
      ['HF fp32', 500, null],
      ['HF bf16', 300, 0.5],
    ]);
  });
});
