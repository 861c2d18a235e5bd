/**
 * Decode-step microbenchmark of the OPT decoder graph on a mid-size random OPT (no BLIP-2
 * conversion): prefill at 8 rows, then decode steps at 1 row and at 24 rows (8 photos × 3 beams)
 * with a permuting beam reorder before every step, as beam search does.
 *
 *   npx tsx build/bench/decoder-step.ts [--hidden 1024 --layers 8 --vocab 50272 --steps 16]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FloatTensor, HfCheckpoint } from '../../native-models/checkpoint/hf-checkpoint.ts';
import type { OptConfig } from '../../native-models/builder/architectures/blip-2-config.ts';
import { buildOptDecoderGraph } from '../../native-models/builder/architectures/opt.ts';
import { writeGraph } from '../../native-models/builder/graph-file.ts';
import { GraphSession } from '../../src-main/engine/runtime/ort.ts';
import { OptLanguageModel } from '../../src-main/engine/blip2/opt-language-model.ts';
import type { KvCache } from '../../src-main/engine/generation/language-model.ts';

const { values } = parseArgs({
  options: {
    hidden: { type: 'string', default: '1024' },
    layers: { type: 'string', default: '8' },
    vocab: { type: 'string', default: '50272' },
    steps: { type: 'string', default: '16' },
    threads: { type: 'string', default: '0' },
    queries: { type: 'string', default: '32' },
    /** How beam search moves rows before each step: `rotate` (every row moves) or `keep`. */
    reorder: { type: 'string', default: 'rotate' },
    /** Keep the converted graph in this folder and stop (for load-time measurements). */
    out: { type: 'string' },
  },
});
const D = Number(values.hidden);
const cfg: OptConfig = {
  vocabSize: Number(values.vocab),
  hiddenSize: D,
  numHiddenLayers: Number(values.layers),
  ffnDim: 4 * D,
  numAttentionHeads: D / 64,
  activationFunction: 'relu',
  maxPositionEmbeddings: 2048,
  doLayerNormBefore: true,
  removeFinalLayerNorm: false,
  wordEmbedProjDim: D,
  enableBias: true,
  layerNormElementwiseAffine: true,
  padTokenId: 1,
  bosTokenId: 2,
  eosTokenIds: [2],
};

/** A checkpoint stand-in: every tensor asked for is random, uniform in ±0.05. */
function randomCheckpoint(): HfCheckpoint {
  let state = 12345;
  const random = (shape: readonly number[]): Float32Array => {
    const out = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < out.length; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      out[i] = (state / 4294967296 - 0.5) * 0.1;
    }
    return out;
  };
  const fake = {
    dir: 'random',
    has: (name: string) => !name.includes('project_') && !name.endsWith('lm_head.weight'),
    read: (name: string, shape: readonly number[]): FloatTensor => ({
      name,
      shape,
      data: name.includes('layer_norm.weight')
        ? new Float32Array(shape[0]!).fill(1)
        : random(shape),
      storedDtype: 'F32',
    }),
  };
  return fake as unknown as HfCheckpoint;
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const dir = values.out ?? mkdtempSync(join(tmpdir(), 'decoder-step-'));
try {
  let t = performance.now();
  const ckpt = randomCheckpoint();
  writeGraph(
    dir,
    'decoder',
    ckpt,
    (g) => buildOptDecoderGraph(g, ckpt, cfg, 'language_model'),
    'bench',
  );
  console.log(`convert ${(performance.now() - t).toFixed(0)} ms`);
  if (values.out) process.exit(0);
  const runtime = { providers: ['cpu'] as const, intraOpThreads: Number(values.threads) };
  t = performance.now();
  const { session } = await GraphSession.open(join(dir, 'decoder.onnx'), runtime);
  console.log(
    `load ${(performance.now() - t).toFixed(0)} ms, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
  );
  const lm = new OptLanguageModel(session, {
    vocabSize: cfg.vocabSize,
    hiddenSize: D,
    numLayers: cfg.numHiddenLayers,
    numHeads: cfg.numAttentionHeads,
    headDim: 64,
  });
  const steps = Number(values.steps);
  const promptQueries = Number(values.queries);
  const promptTokens = 8;
  for (const [photos, beams] of [
    [1, 1],
    [8, 3],
  ] as const) {
    const rows = photos * beams;
    const prefixEmbeds = new Float32Array(photos * promptQueries * D).map(
      () => Math.random() * 0.1,
    );
    const ids = Array.from({ length: photos }, () =>
      Array.from({ length: promptTokens }, (_, i) => 2 + i),
    );
    const mask = Array.from({ length: photos }, () =>
      new Array<number>(promptQueries + promptTokens).fill(1),
    );
    t = performance.now();
    const prefillCpu = process.cpuUsage();
    const prefill = await lm.prefill(prefixEmbeds, [photos, promptQueries, D], mask, ids);
    const prefillMs = performance.now() - t;
    const prefillUsed = process.cpuUsage(prefillCpu);
    const prefillCpuMs = (prefillUsed.user + prefillUsed.system) / 1000;
    let cache: KvCache = lm.selectRows(
      prefill.cache,
      Array.from({ length: rows }, (_, r) => Math.floor(r / beams)),
    );
    prefill.cache.dispose();
    const masks = Array.from({ length: rows }, () => [...mask[0]!]);
    const times: number[] = [];
    const cpuTimes: number[] = [];
    for (let s = 0; s < steps; s++) {
      masks.forEach((m) => m.push(1));
      t = performance.now();
      const cpu = process.cpuUsage();
      // Beam search reorders rows within each photo before every step.
      if (beams > 1 && values.reorder === 'rotate') {
        const sources = Array.from({ length: rows }, (_, r) => r - (r % beams) + ((r + s) % beams));
        const reordered = lm.selectRows(cache, sources);
        cache.dispose();
        cache = reordered;
      }
      const out = await lm.step(
        Array.from({ length: rows }, (_, r) => 3 + ((r + s) % 50)),
        masks.map((m) => [...m]),
        cache,
      );
      cache = out.cache;
      times.push(performance.now() - t);
      const used = process.cpuUsage(cpu);
      cpuTimes.push((used.user + used.system) / 1000);
    }
    cache.dispose();
    const median = medianOf(times);
    const cpuMedian = medianOf(cpuTimes);
    console.log(
      `rows ${rows}: prefill (${photos} rows × ${promptQueries + promptTokens}) ${prefillMs.toFixed(0)} ms wall, ${prefillCpuMs.toFixed(0)} ms cpu; ` +
        `decode step median ${median.toFixed(1)} ms wall, ${cpuMedian.toFixed(1)} ms cpu (cache ${promptQueries + promptTokens}..${promptQueries + promptTokens + steps})`,
    );
  }
  await session.release();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
