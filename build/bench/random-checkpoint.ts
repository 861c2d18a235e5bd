import { statSync } from 'node:fs';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  SafetensorsWriter,
  floatToHalf,
} from '../../native-models/checkpoint/safetensors-writer.ts';
import { elementCount, type TensorInit, type TensorSpec } from './checkpoint-tensors.ts';
import { seededUniform } from './inputs.ts';

const WEIGHT_STD = 0.02;

/**
 * Writes a float16 `model.safetensors` tensor by tensor (one tensor in memory, so a 5 GB decoder
 * never has to exist in RAM). Values are seeded per tensor name, so a tensor is the
 * same whichever subset of the model a stage writes. Yields to the event loop between tensors so
 * Ctrl-C can interrupt a long run. Returns the file size.
 */
export async function writeRandomSafetensors(
  path: string,
  specs: readonly TensorSpec[],
  seed: number,
): Promise<number> {
  const tables = new Map<TensorInit, Uint16Array>();
  const tableFor = (init: TensorInit): Uint16Array => {
    let table = tables.get(init);
    if (!table) {
      table = gaussianHalfTable(init === 'layerNormScale' ? 1 : 0, WEIGHT_STD, seed ^ 0x9e3779b9);
      tables.set(init, table);
    }
    return table;
  };
  const writer = new SafetensorsWriter(
    path,
    specs.map((spec) => ({ name: spec.name, dtype: 'F16', shape: spec.shape })),
  );
  for (const spec of specs) {
    const total = elementCount(spec);
    // One tensor at a time (the largest, OPT-2.7B's embedding table, is 257 MB in fp16).
    const values = new Uint16Array(total);
    new HalfSampler(tableFor(spec.init), seed ^ hashName(spec.name)).fill(values, total);
    // EVA's key projection has no bias: the stored qkv.bias is cat(q_bias, zeros, v_bias).
    if (spec.init === 'qkvBias') values.fill(0, total / 3, (2 * total) / 3);
    writer.write(new Uint8Array(values.buffer));
    await yieldToEventLoop();
  }
  writer.close();
  return statSync(path).size;
}

/** xorshift32 over a table of 65536 fp16 Gaussian samples: ~1 ns per value, plenty random for weights. */
class HalfSampler {
  private state: number;

  constructor(
    private readonly table: Uint16Array,
    seed: number,
  ) {
    this.state = seed >>> 0 || 0x6d2b79f5;
  }

  fill(out: Uint16Array, count: number): void {
    const table = this.table;
    let s = this.state;
    for (let i = 0; i < count; i += 2) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      out[i] = table[s & 0xffff]!;
      if (i + 1 < count) out[i + 1] = table[(s >>> 16) & 0xffff]!;
    }
    this.state = s;
  }
}

/** 65536 samples of N(mean, std) (Box-Muller on a seeded mulberry32), stored as fp16 bit patterns. */
function gaussianHalfTable(mean: number, std: number, seed: number): Uint16Array {
  const uniform = seededUniform(seed);
  const table = new Uint16Array(65536);
  for (let i = 0; i < table.length; i += 2) {
    const radius = Math.sqrt(-2 * Math.log(uniform()));
    const angle = 2 * Math.PI * uniform();
    table[i] = floatToHalf(mean + std * radius * Math.cos(angle));
    table[i + 1] = floatToHalf(mean + std * radius * Math.sin(angle));
  }
  return table;
}

/** FNV-1a, so every tensor gets its own stream from the run's seed. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
