import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { Blip2Config } from '../../native-models/builder/architectures/blip-2-config.ts';
import type { Precision } from '../../native-models/builder/precision.ts';
import { GraphSession } from '../../src-main/engine/runtime/ort.ts';
import type { Tensor } from '../../src-main/engine/runtime/tensor.ts';
import { BaselineProcess, baselineName, type Baseline } from './baseline-process.ts';
import { checkpointTensors, elementCount } from './checkpoint-tensors.ts';
import { buildOurGraphs, formatKey, type OurGraph } from './our-graphs.ts';
import { writeRandomSafetensors } from './random-checkpoint.ts';
import type { BenchStage, BenchStep, Carry, StepContext } from './stages.ts';
import { availableMemoryBytes, GIB, PeakRss } from './system.ts';
import { readFloatBundle, writeBundle, type FloatArray } from './tensor-bundle.ts';

/** Our graph against one PyTorch configuration, on one step. */
export interface Pairing {
  baseline: string;
  /** Interleaved A B A B when both fit in memory together, else one after the other. */
  mode: 'interleaved' | 'sequential';
  oursMs: number[];
  baselineMs: number[];
}

export interface GraphStepResult {
  /** Every timed run of this graph on this step, all pairings together. */
  oursMs: number[];
  pairings: Pairing[];
  output: FloatArray | null;
}

export interface BaselineStepResult {
  ms: number[];
  output: FloatArray | null;
}

export interface StepResult {
  label: string;
  rows: number;
  weightBound: boolean;
  /** By formatKey of our graph. */
  graphs: Record<string, GraphStepResult>;
  /** By baseline name. */
  baselines: Record<string, BaselineStepResult>;
}

export interface StageResult {
  name: string;
  graphs: (OurGraph & { peakRssMb: number | null })[];
  steps: StepResult[];
  baselinePeakRssMb: Record<string, number>;
  /** Baselines that could not run on this stage, and why. */
  baselineUnavailable: Record<string, string>;
  weightsFp16Bytes: number;
  generateSeconds: number;
}

export interface RunnerOptions {
  config: Blip2Config;
  rawConfig: Record<string, unknown>;
  workDir: string;
  threads: number;
  reps: number;
  seed: number;
  precisions: readonly Precision[];
  /** The PyTorch configurations to time (already checked to start). */
  baselines: readonly Baseline[];
  progress: (message: string) => void;
}

/** Room left for activations, caches and the OS when two sides hold their weights together. */
const MEMORY_HEADROOM = 3 * GIB;

/** Generates the stage's weights, builds our graphs, times them and the baselines, deletes it all. */
export async function runStage(
  stage: BenchStage,
  carry: Carry,
  options: RunnerOptions,
): Promise<StageResult> {
  const { config, progress } = options;
  const dir = join(options.workDir, stage.name);
  mkdirSync(dir, { recursive: true });
  try {
    const specs = checkpointTensors(config, stage.part);
    const fp16Bytes = specs.reduce((sum, s) => sum + 2 * elementCount(s), 0);
    progress(
      `generating ${specs.length} random fp16 tensors (${(fp16Bytes / GIB).toFixed(2)} GiB)`,
    );
    const started = performance.now();
    writeFileSync(join(dir, 'config.json'), JSON.stringify(options.rawConfig, null, 2));
    await writeRandomSafetensors(join(dir, 'model.safetensors'), specs, options.seed);
    const generateSeconds = (performance.now() - started) / 1000;

    const graphs = buildOurGraphs(stage, config, dir, options.precisions, progress);
    for (const g of graphs.filter((g) => g.unavailable)) progress(`unavailable: ${g.unavailable}`);
    const measured = await new StageMeasurement(
      stage,
      carry,
      dir,
      options,
      graphs,
      fp16Bytes,
    ).run();
    return { name: stage.name, weightsFp16Bytes: fp16Bytes, generateSeconds, ...measured };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Side {
  warmup: () => Promise<void>;
  run: () => Promise<number>;
}

/** Peak memory of a baseline variant while loading, as a multiple of the fp16 checkpoint. */
const BASELINE_MEMORY_FACTOR: Record<Baseline['variant'], number> = {
  fp32: 2,
  bf16: 1.2,
  // quantize_dynamic starts from the fp32 model (and swaps its Linears in place).
  'int8-dynamic': 2.2,
};

class StageMeasurement {
  private readonly steps: BenchStep[];
  private readonly ctx: StepContext;
  private readonly inputs: Record<string, Tensor>[];
  private readonly results: StepResult[];
  private readonly peakRss = new Map<string, number>();
  private readonly baselinePeakRssMb: Record<string, number> = {};
  private readonly baselineUnavailable: Record<string, string> = {};
  private readonly rss = new PeakRss();

  constructor(
    private readonly stage: BenchStage,
    private readonly carry: Carry,
    private readonly dir: string,
    private readonly options: RunnerOptions,
    private readonly graphs: OurGraph[],
    private readonly fp16Bytes: number,
  ) {
    this.steps = stage.steps(options.config);
    this.ctx = { config: options.config, dir, carry };
    this.inputs = this.steps.map((s) => s.inputs(this.ctx));
    this.results = this.steps.map((s) => ({
      label: s.label,
      rows: s.rows,
      weightBound: s.weightBound,
      graphs: {},
      baselines: {},
    }));
    if (options.baselines.length > 0)
      this.inputs.forEach((tensors, i) => writeBundle(this.inputsDir(i), tensors));
  }

  async run(): Promise<Omit<StageResult, 'name' | 'weightsFp16Bytes' | 'generateSeconds'>> {
    const usable = this.graphs.filter((g) => g.path !== null);
    for (const baseline of this.options.baselines) await this.measureAgainst(baseline, usable);
    // Every baseline failed to load on this stage: our graphs are still timed, alone.
    for (const graph of usable.filter((g) => this.graphResult(g, 0).oursMs.length === 0))
      await this.timeOursAlone(graph);
    this.exportCarry(usable);
    return {
      graphs: this.graphs.map((g) => ({
        ...g,
        peakRssMb: this.peakRss.get(formatKey(g.format)) ?? null,
      })),
      steps: this.results,
      baselinePeakRssMb: this.baselinePeakRssMb,
      baselineUnavailable: this.baselineUnavailable,
    };
  }

  /**
   * Our graphs that fit in memory beside the baseline are timed interleaved with it; the others
   * alone, before the baseline loads (their pairing is then 'sequential').
   */
  private async measureAgainst(baseline: Baseline, usable: OurGraph[]): Promise<void> {
    const name = baselineName(baseline);
    const baselineBytes = BASELINE_MEMORY_FACTOR[baseline.variant] * this.fp16Bytes;
    const fits = (g: OurGraph): boolean =>
      g.weightBytes + baselineBytes + MEMORY_HEADROOM < availableMemoryBytes();
    const alone = new Map<OurGraph, number[][]>();
    for (const graph of usable.filter((g) => !fits(g)))
      alone.set(graph, await this.timeOursAlone(graph));

    this.options.progress(`loading ${name}`);
    const started = await BaselineProcess.start(baseline.kind, this.options.threads);
    if ('skipped' in started) {
      this.baselineUnavailable[name] = started.skipped;
      return;
    }
    const process = started.process;
    try {
      try {
        await process.load(this.dir, this.stage.part, baseline.variant);
      } catch (error) {
        this.baselineUnavailable[name] = firstLine(error);
        this.options.progress(`${name} unavailable: ${this.baselineUnavailable[name]}`);
        return;
      }
      const baselineSides = this.steps.map((_, i) => this.baselineSide(process, name, i));
      if (alone.size > 0) {
        for (const [i, step] of this.steps.entries()) {
          this.options.progress(`${step.label}: ${this.options.reps} repetitions of ${name} alone`);
          const [ms] = await timeSides([baselineSides[i]!], this.options.reps, false);
          this.baselineResult(name, i).ms.push(...ms!);
          for (const [graph, oursMs] of alone) {
            this.graphResult(graph, i).pairings.push({
              baseline: name,
              mode: 'sequential',
              oursMs: oursMs[i]!,
              baselineMs: ms!,
            });
          }
        }
      }
      for (const graph of usable.filter(fits)) {
        await this.withSession(graph, async (session) => {
          for (const [i, step] of this.steps.entries()) {
            this.options.progress(
              `${step.label}: ${this.options.reps} repetitions, ours ${graph.precisions.join('/')} and ${name} interleaved`,
            );
            const [oursMs, baselineMs] = await timeSides(
              [this.oursSide(session, graph, i), baselineSides[i]!],
              this.options.reps,
              true,
            );
            this.graphResult(graph, i).oursMs.push(...oursMs!);
            this.baselineResult(name, i).ms.push(...baselineMs!);
            this.graphResult(graph, i).pairings.push({
              baseline: name,
              mode: 'interleaved',
              oursMs: oursMs!,
              baselineMs: baselineMs!,
            });
          }
        });
      }
      this.baselinePeakRssMb[name] = await process.peakRssMb();
    } finally {
      await process.close();
    }
  }

  /** Times one of our graphs on every step with no baseline loaded; returns the runs per step. */
  private async timeOursAlone(graph: OurGraph): Promise<number[][]> {
    const perStep: number[][] = [];
    await this.withSession(graph, async (session) => {
      for (const [i, step] of this.steps.entries()) {
        this.options.progress(
          `${step.label}: ${this.options.reps} repetitions, ours ${graph.precisions.join('/')} alone`,
        );
        const [ms] = await timeSides([this.oursSide(session, graph, i)], this.options.reps, false);
        this.graphResult(graph, i).oursMs.push(...ms!);
        perStep.push(ms!);
      }
    });
    return perStep;
  }

  private async withSession(
    graph: OurGraph,
    use: (session: GraphSession) => Promise<void>,
  ): Promise<void> {
    this.rss.reset();
    this.options.progress(`loading our ${graph.precisions.join('/')} graph in onnxruntime`);
    const { session } = await GraphSession.open(graph.path!, {
      providers: ['cpu'],
      intraOpThreads: this.options.threads,
    });
    try {
      await use(session);
    } finally {
      const key = formatKey(graph.format);
      this.peakRss.set(key, Math.max(this.peakRss.get(key) ?? 0, this.rss.megabytes()));
      await session.release();
    }
  }

  private oursSide(session: GraphSession, graph: OurGraph, i: number): Side {
    const step = this.steps[i]!;
    const feeds = step.feeds(this.inputs[i]!, this.ctx, session.inputNames);
    const result = this.graphResult(graph, i);
    return {
      warmup: async () => {
        const outputs = await session.run(feeds);
        if (!result.output) {
          const out = step.output(outputs);
          // A copy: disposing the outputs frees the memory their arrays view.
          result.output = { dims: [...out.dims], data: out.data.slice() };
        }
        for (const t of Object.values(outputs)) t.dispose();
      },
      run: async () => {
        const begin = performance.now();
        const outputs = await session.run(feeds);
        const ms = performance.now() - begin;
        for (const t of Object.values(outputs)) t.dispose();
        return ms;
      },
    };
  }

  private baselineSide(process: BaselineProcess, name: string, i: number): Side {
    const step = this.steps[i]!;
    const result = this.baselineResult(name, i);
    const fn = this.stage.name;
    return {
      warmup: async () => {
        if (result.output) {
          await process.run(fn, this.inputsDir(i));
          return;
        }
        const saveDir = join(this.dir, `${i}-${name.replace(/\W+/g, '_')}`);
        await process.run(fn, this.inputsDir(i), saveDir);
        const saved = readFloatBundle(saveDir)[step.compare];
        if (!saved) throw new Error(`${name} returned no ${step.compare}`);
        result.output = saved;
        rmSync(saveDir, { recursive: true, force: true });
      },
      run: () => process.run(fn, this.inputsDir(i)),
    };
  }

  /** The next stage's inputs: our first usable precision's output, else a baseline's. */
  private exportCarry(usable: OurGraph[]): void {
    for (const [i, step] of this.steps.entries()) {
      if (!step.export) continue;
      const ours = usable
        .map((g) => this.results[i]!.graphs[formatKey(g.format)]?.output)
        .find(Boolean);
      const theirs = Object.values(this.results[i]!.baselines)
        .map((b) => b.output)
        .find(Boolean);
      const output = ours ?? theirs;
      if (output) step.export(output, this.carry);
    }
  }

  private graphResult(graph: OurGraph, i: number): GraphStepResult {
    const key = formatKey(graph.format);
    return (this.results[i]!.graphs[key] ??= { oursMs: [], pairings: [], output: null });
  }

  private baselineResult(name: string, i: number): BaselineStepResult {
    return (this.results[i]!.baselines[name] ??= { ms: [], output: null });
  }

  private inputsDir(i: number): string {
    return join(this.dir, `${i}-inputs`);
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message.split('\n').filter((l) => l.trim());
  // A Python traceback's last line names the exception.
  return lines.length > 1 ? `${lines[0]} ${lines.at(-1)}` : message;
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
