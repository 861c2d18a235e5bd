import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { Blip2Config } from '../../native-models/builder/architectures/blip-2-config.ts';
import { writeGraph } from '../../native-models/builder/graph-file.ts';
import { HfCheckpoint } from '../../native-models/checkpoint/hf-checkpoint.ts';
import { GraphSession } from '../../src-main/engine/runtime/ort.ts';
import type { Tensor } from '../../src-main/engine/runtime/tensor.ts';
import { checkpointTensors, elementCount } from './checkpoint-tensors.ts';
import { writeRandomSafetensors } from './random-checkpoint.ts';
import { ReferenceProcess } from './reference-process.ts';
import { floatOutput, type BenchStage, type BenchStep, type Carry } from './stages.ts';
import { availableMemoryBytes, folderBytes, GIB, PeakRss } from './system.ts';
import { readFloatBundle, writeBundle } from './tensor-bundle.ts';

export interface StepResult {
  stage: string;
  ortMs: number[];
  torchMs: number[] | null;
  maxAbsDiff: number | null;
  /** Largest |reference value|, to read the difference against. */
  maxAbsReference: number | null;
  ortOutputFinite: boolean;
  mode: 'interleaved' | 'sequential' | 'ort only';
}

export interface StageReport {
  name: string;
  steps: StepResult[];
  weightsFp16Bytes: number;
  diskBytes: number;
  generateSeconds: number;
  convertSeconds: number;
  ortPeakRssMb: number;
  torchPeakRssMb: number | null;
}

export interface RunnerOptions {
  config: Blip2Config;
  rawConfig: Record<string, unknown>;
  workDir: string;
  threads: number;
  reps: number;
  seed: number;
  /** False when the reference cannot run (reason reported once by the caller). */
  withReference: boolean;
  progress: (message: string) => void;
}

/** Both sides hold the weights as fp32 while interleaving; leave room for activations and the OS. */
const MEMORY_HEADROOM = 3 * GIB;

/** Generates the stage's weights, converts them, times onnxruntime and the reference, then deletes it all. */
export async function runStage(
  stage: BenchStage,
  carry: Carry,
  options: RunnerOptions,
): Promise<StageReport> {
  const { config, progress } = options;
  const dir = join(options.workDir, stage.name);
  mkdirSync(dir, { recursive: true });
  try {
    const specs = checkpointTensors(config, stage.part);
    const fp16Bytes = specs.reduce((sum, s) => sum + 2 * elementCount(s), 0);
    progress(
      `generating ${specs.length} random fp16 tensors (${(fp16Bytes / GIB).toFixed(2)} GiB)`,
    );
    let started = performance.now();
    writeFileSync(join(dir, 'config.json'), JSON.stringify(options.rawConfig, null, 2));
    await writeRandomSafetensors(join(dir, 'model.safetensors'), specs, options.seed);
    const generateSeconds = (performance.now() - started) / 1000;

    progress(`converting to ONNX (fp32, ${((2 * fp16Bytes) / GIB).toFixed(2)} GiB)`);
    started = performance.now();
    const ckpt = new HfCheckpoint(dir);
    try {
      writeGraph(dir, stage.name, ckpt, (g) => stage.build(g, ckpt, config), `bench ${stage.name}`);
    } finally {
      ckpt.close();
    }
    const convertSeconds = (performance.now() - started) / 1000;
    const diskBytes = folderBytes(dir);

    const fp32Bytes = 2 * fp16Bytes;
    const interleave =
      options.withReference && 2 * fp32Bytes + MEMORY_HEADROOM < availableMemoryBytes();
    const measured = await measure(stage, carry, dir, options, interleave);
    return {
      name: stage.name,
      weightsFp16Bytes: fp16Bytes,
      diskBytes,
      generateSeconds,
      convertSeconds,
      ...measured,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Side {
  warmup: () => Promise<void>;
  run: () => Promise<number>;
}

interface StepState {
  step: BenchStep;
  inputsDir: string;
  referenceDir: string;
  ortOutputs: Record<string, Tensor>;
  ortMs: number[];
  torchMs: number[] | null;
}

async function measure(
  stage: BenchStage,
  carry: Carry,
  dir: string,
  options: RunnerOptions,
  interleave: boolean,
): Promise<Pick<StageReport, 'steps' | 'ortPeakRssMb' | 'torchPeakRssMb'>> {
  const { progress, reps } = options;
  const rss = new PeakRss();
  rss.reset();
  progress('loading the graph in onnxruntime');
  const { session } = await GraphSession.open(join(dir, `${stage.name}.onnx`), {
    providers: ['cpu'],
    intraOpThreads: options.threads,
  });
  let reference: ReferenceProcess | undefined;
  const startReference = async (): Promise<ReferenceProcess> => {
    progress('loading the weights in PyTorch');
    const started = await ReferenceProcess.start(options.threads);
    if ('skipped' in started) throw new Error(`the reference stopped working: ${started.skipped}`);
    await started.process.load(dir);
    return started.process;
  };
  const referenceSide = (state: StepState): Side => ({
    warmup: async () => {
      await reference!.run(stage.name, state.inputsDir, state.referenceDir);
    },
    run: () => reference!.run(stage.name, state.inputsDir),
  });
  try {
    if (interleave) reference = await startReference();
    const states: StepState[] = [];
    for (const step of stage.steps) {
      const feeds = step.feeds({
        config: options.config,
        dir,
        carry,
        previous: states.at(-1)?.ortOutputs,
      });
      const label = step.label(options.config);
      const state: StepState = {
        step,
        inputsDir: join(dir, `${states.length}-inputs`),
        referenceDir: join(dir, `${states.length}-reference`),
        ortOutputs: {},
        ortMs: [],
        torchMs: null,
      };
      writeBundle(state.inputsDir, feeds);
      const ortSide: Side = {
        warmup: async () => {
          state.ortOutputs = await session.run(feeds);
        },
        run: async () => {
          const begin = performance.now();
          const outputs = await session.run(feeds);
          const ms = performance.now() - begin;
          for (const t of Object.values(outputs)) t.dispose();
          return ms;
        },
      };
      progress(
        `${label}: ${reps} repetitions${reference ? ', onnxruntime and PyTorch interleaved' : ' in onnxruntime'}`,
      );
      const sides = reference ? [ortSide, referenceSide(state)] : [ortSide];
      const times = await timeSides(sides, reps, true);
      state.ortMs = times[0]!;
      state.torchMs = times[1] ?? null;
      step.export?.(state.ortOutputs, carry);
      states.push(state);
    }
    const ortPeakRssMb = rss.megabytes();
    await session.release();
    if (options.withReference && !interleave) {
      reference = await startReference();
      for (const state of states) {
        progress(
          `${state.step.label(options.config)}: ${reps} repetitions in PyTorch (after onnxruntime: both together would not fit in memory)`,
        );
        state.torchMs = (await timeSides([referenceSide(state)], reps, false))[0]!;
      }
    }
    const torchPeakRssMb = reference ? await reference.peakRssMb() : null;
    const mode: StepResult['mode'] = !options.withReference
      ? 'ort only'
      : interleave
        ? 'interleaved'
        : 'sequential';
    const steps = states.map((state) => compare(state, options.config, mode));
    return { steps, ortPeakRssMb, torchPeakRssMb };
  } finally {
    await reference?.close();
  }
}

/**
 * After a run, onnxruntime's workers spin for ~30 ms and OpenBLAS's for up to ~100 ms before they
 * sleep. On a machine with few cores, a run of the other runtime started inside that window shares
 * the cores with spinning threads (measured: small-scale torch runs 50× slower). Interleaved runs
 * therefore wait this long when switching sides; the wait is not part of any timing.
 */
const SETTLE_MS = 250;

/** One warm-up run per side, then `reps` timed runs, alternating sides when `interleave`. */
async function timeSides(sides: Side[], reps: number, interleave: boolean): Promise<number[][]> {
  const times = sides.map((): number[] => []);
  const settle = (): Promise<void> => (sides.length > 1 ? delay(SETTLE_MS) : Promise.resolve());
  if (interleave) {
    for (const side of sides) {
      await side.warmup();
      await settle();
    }
    for (let r = 0; r < reps; r++) {
      for (const [i, side] of sides.entries()) {
        times[i]!.push(await side.run());
        await settle();
      }
    }
    return times;
  }
  for (const [i, side] of sides.entries()) {
    await side.warmup();
    for (let r = 0; r < reps; r++) times[i]!.push(await side.run());
  }
  return times;
}

function compare(state: StepState, config: Blip2Config, mode: StepResult['mode']): StepResult {
  const ort = floatOutput(state.ortOutputs, state.step.compare);
  const ortData = ort.data;
  const result: StepResult = {
    stage: state.step.label(config),
    ortMs: state.ortMs,
    torchMs: state.torchMs,
    maxAbsDiff: null,
    maxAbsReference: null,
    ortOutputFinite: ortData.every(Number.isFinite),
    mode,
  };
  if (!state.torchMs) return result;
  const reference = readFloatBundle(state.referenceDir)[state.step.compare];
  if (!reference) throw new Error(`the reference produced no ${state.step.compare}`);
  if (reference.dims.join() !== ort.dims.join()) {
    throw new Error(
      `${state.step.compare}: onnxruntime shape [${ort.dims.join(', ')}], reference [${reference.dims.join(', ')}]`,
    );
  }
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ortData.length; i++) {
    diff = Math.max(diff, Math.abs(ortData[i]! - reference.data[i]!));
    scale = Math.max(scale, Math.abs(reference.data[i]!));
  }
  return { ...result, maxAbsDiff: diff, maxAbsReference: scale };
}
