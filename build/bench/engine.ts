/**
 * `npm run bench:engine`: full-size random-weight BLIP-2 (blip2-opt-2.7b dimensions), stage by
 * stage at the shapes indexing runs, our graphs at each precision against the PyTorch
 * configurations a careful user would run on the same weights (Hugging Face transformers in fp32,
 * bf16 weights where the CPU has AMX or AVX512-BF16, dynamic int8 Linear). Prints timings, ratios
 * to the fastest PyTorch configuration, agreement with the fp32 output, memory and disk.
 * Only one stage's weights exist at a time (on disk and in memory), so it fits a 24 GB machine.
 */
import { Command, Option } from 'commander';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseBlip2Config } from '../../native-models/builder/architectures/blip-2-config.ts';
import type { Precision } from '../../native-models/builder/precision.ts';
import { measureReadBandwidth } from './bandwidth.ts';
import {
  BaselineProcess,
  baselineName,
  killBaselineProcesses,
  type Baseline,
  type BaselineHello,
  type BaselineKind,
} from './baseline-process.ts';
import { checkpointTensors, elementCount } from './checkpoint-tensors.ts';
import { benchConfig, type BenchScale } from './model-config.ts';
import { formatReport, summarizeStages, type BenchReport } from './report.ts';
import { runStage, type StageResult } from './stage-runner.ts';
import { STAGES, type Carry } from './stages.ts';
import {
  availableMemoryBytes,
  cpuFeatures,
  freeDiskBytes,
  GIB,
  MIB,
  totalMemoryBytes,
  type CpuFeatures,
} from './system.ts';
import { positiveInt, precisionList } from '../../src-main/cli/arguments.ts';

/** Precisions onnxruntime's CPU provider runs well (fp16 graphs are for GPU providers). */
const CPU_PRECISIONS: Precision[] = ['fp32', 'int8', 'int4'];

interface CliOptions {
  scale: BenchScale;
  threads: number;
  reps: number;
  json?: string;
  workDir?: string;
  stages: string[];
  seed: number;
  precisions: Precision[];
  baseline: 'auto' | BaselineKind | 'none';
}

function parseArgs(argv: string[]): CliOptions {
  const names = STAGES.map((s) => s.name);
  return new Command('bench:engine')
    .description(
      'Time our graphs against PyTorch (Hugging Face transformers) on a random full-size BLIP-2 (blip2-opt-2.7b dims).',
    )
    .addOption(
      new Option('--scale <scale>', 'model dimensions').choices(['full', 'small']).default('full'),
    )
    .option(
      '--threads <n>',
      'threads for both onnxruntime and torch',
      positiveInt,
      availableParallelism(),
    )
    .option(
      '--reps <n>',
      'timed repetitions per stage and side (after one warm-up)',
      positiveInt,
      5,
    )
    .option('--json <file>', 'also write every row as JSON')
    .option('--work-dir <dir>', 'where the temporary checkpoints go (default: the OS temp folder)')
    .option(
      '--stages <list>',
      `comma list of ${names.join(', ')}`,
      (v) => v.split(',').map((s) => s.trim()),
      names,
    )
    .option(
      '--precisions <list>',
      'our precisions, comma list of fp32, fp16, int8, int4',
      precisionList,
      CPU_PRECISIONS,
    )
    .addOption(
      new Option(
        '--baseline <which>',
        'PyTorch side: hf (transformers in the bench venv), reference (Debian torch), auto (hf, else reference), none',
      )
        .choices(['auto', 'hf', 'reference', 'none'])
        .default('auto'),
    )
    .option('--seed <n>', 'random weights seed', positiveInt, 20234)
    .parse(argv)
    .opts<CliOptions>();
}

async function main(): Promise<number> {
  const started = performance.now();
  const options = parseArgs(process.argv);
  const rawConfig = benchConfig(options.scale);
  const config = parseBlip2Config(rawConfig);
  const stages = STAGES.filter((s) => options.stages.includes(s.name));
  const unknown = options.stages.filter((n) => !STAGES.some((s) => s.name === n));
  if (unknown.length > 0 || stages.length === 0)
    throw new Error(`unknown stage(s): ${unknown.join(', ') || '(none)'}`);

  const base = resolve(options.workDir ?? tmpdir());
  mkdirSync(base, { recursive: true });
  checkResources(
    base,
    stages.map((s) =>
      checkpointTensors(config, s.part).reduce((n, t) => n + 2 * elementCount(t), 0),
    ),
  );
  const work = mkdtempSync(join(base, 'sightline-bench-'));
  const cleanup = (): void => {
    killBaselineProcesses();
    rmSync(work, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      log(`${signal}: removing ${work}`);
      cleanup();
      process.exit(130);
    });
  }

  try {
    const cpu = cpuFeatures();
    const versions: Record<string, string> = {
      node: process.version,
      'onnxruntime-node': onnxRuntimeVersion(),
    };
    const bandwidthBytes = options.scale === 'full' ? GIB : 256 * MIB;
    const side = await choosePyTorch(options, cpu, bandwidthBytes);
    Object.assign(versions, side.versions);
    for (const [name, why] of Object.entries(side.unavailable)) log(`${name} not measured: ${why}`);
    log(`measuring read bandwidth (${bandwidthBytes / MIB} MiB)`);
    const ortBandwidth = await measureReadBandwidth(work, bandwidthBytes, options.threads);
    const bandwidth = {
      onnxruntime: ortBandwidth.bytesPerSecond,
      torch: side.torchBandwidth,
      used: Math.max(ortBandwidth.bytesPerSecond, side.torchBandwidth ?? 0),
      how: `${ortBandwidth.how}; the higher of the two is used`,
    };
    log(
      `work folder ${work}, ${options.threads} threads, ${options.reps} repetitions, precisions ${options.precisions.join(',')}, ` +
        `PyTorch: ${side.baselines.map(baselineName).join(', ') || 'none'}`,
    );

    const carry: Carry = {};
    const results: StageResult[] = [];
    const unavailable = { ...side.unavailable };
    for (const [i, stage] of stages.entries()) {
      const prefix = `[${i + 1}/${stages.length} ${stage.name}]`;
      const stageStart = performance.now();
      const result = await runStage(stage, carry, {
        config,
        rawConfig,
        workDir: work,
        threads: options.threads,
        reps: options.reps,
        seed: options.seed,
        precisions: options.precisions,
        baselines: side.baselines,
        progress: (message) => log(`${prefix} ${message}`),
      });
      for (const [name, why] of Object.entries(result.baselineUnavailable))
        unavailable[`${name} (${stage.name})`] = why;
      results.push(result);
      log(`${prefix} done in ${((performance.now() - stageStart) / 1000).toFixed(0)} s`);
    }

    const report: BenchReport = {
      scale: options.scale,
      threads: options.threads,
      reps: options.reps,
      cpu,
      cores: availableParallelism(),
      memoryGiB: totalMemoryBytes() / GIB,
      versions,
      bandwidth,
      precisions: options.precisions,
      baselines: side.baselines.map(baselineName),
      baselinesUnavailable: unavailable,
      ...summarizeStages(results, options.precisions, bandwidth.used),
      totalSeconds: (performance.now() - started) / 1000,
    };
    console.log(formatReport(report));
    if (options.json) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    const failed = report.rows.filter((r) => r.parity === false || r.outputFinite === false);
    if (failed.length > 0)
      log(
        `FAILED (fp32 parity or non-finite output): ${failed.map((r) => `${r.step} ${r.precision}`).join(', ')}`,
      );
    return failed.length > 0 ? 1 : 0;
  } finally {
    cleanup();
  }
}

interface PyTorchSide {
  baselines: Baseline[];
  versions: Record<string, string>;
  unavailable: Record<string, string>;
  torchBandwidth: number | null;
}

/**
 * Probes the PyTorch side once: which configurations to time, their versions, torch's read
 * bandwidth. Refuses a torch on a reference BLAS: timings against it would flatter us.
 */
async function choosePyTorch(
  options: CliOptions,
  cpu: CpuFeatures,
  bandwidthBytes: number,
): Promise<PyTorchSide> {
  const side: PyTorchSide = { baselines: [], versions: {}, unavailable: {}, torchBandwidth: null };
  if (options.baseline === 'none') return side;
  const kinds: BaselineKind[] =
    options.baseline === 'auto' ? ['hf', 'reference'] : [options.baseline];
  for (const kind of kinds) {
    const probe = await BaselineProcess.start(kind, options.threads);
    if ('skipped' in probe) {
      side.unavailable[kind === 'hf' ? 'HF transformers' : 'reference'] = probe.skipped;
      continue;
    }
    try {
      const hello: BaselineHello = probe.hello;
      if (hello.reference_blas) {
        throw new Error(
          `the ${kind} torch runs its matrix products on ${hello.blas}: a reference BLAS makes every PyTorch ` +
            'timing meaningless. Point it at OpenBLAS/MKL (update-alternatives --config libblas.so.3-x86_64-linux-gnu) ' +
            'or run npm run bench:setup for the MKL-based torch wheel.',
        );
      }
      side.versions = {
        python: hello.python,
        torch: hello.torch,
        ...(hello.transformers ? { transformers: hello.transformers } : {}),
        numpy: hello.numpy,
        'torch BLAS': hello.blas,
      };
      side.torchBandwidth = await probe.process.readBandwidth(bandwidthBytes);
      if (kind === 'reference') {
        side.baselines = [{ kind, variant: 'fp32' }];
      } else {
        side.baselines = [{ kind, variant: 'fp32' }];
        if (cpu.amx || cpu.avx512bf16) side.baselines.push({ kind, variant: 'bf16' });
        else side.unavailable['HF bf16'] = 'the CPU has neither AMX nor AVX512-BF16';
        side.baselines.push({ kind, variant: 'int8-dynamic' });
      }
      return side;
    } finally {
      await probe.process.close();
    }
  }
  return side;
}

/** Per stage: the fp16 checkpoint, the fp32 ONNX data (twice its size) and smaller graphs. */
function checkResources(base: string, fp16BytesPerStage: number[]): void {
  const largest = Math.max(...fp16BytesPerStage);
  const diskNeeded = 4 * largest + 0.5 * GIB;
  const diskFree = freeDiskBytes(base);
  if (diskFree < diskNeeded) {
    throw new Error(
      `not enough free disk in ${base}: the largest stage needs ${(diskNeeded / GIB).toFixed(1)} GiB (fp16 checkpoint + graphs), ` +
        `${(diskFree / GIB).toFixed(1)} GiB free. Use --work-dir on a bigger disk or --scale small.`,
    );
  }
  const memoryNeeded = 2 * largest + 1.5 * GIB;
  const memoryFree = availableMemoryBytes();
  if (memoryFree < memoryNeeded) {
    log(
      `warning: the largest stage needs about ${(memoryNeeded / GIB).toFixed(1)} GiB of memory per side, ${(memoryFree / GIB).toFixed(1)} GiB available`,
    );
  }
}

function onnxRuntimeVersion(): string {
  const path = join(
    dirname(fileURLToPath(import.meta.url)),
    '..',
    '..',
    'node_modules',
    'onnxruntime-node',
    'package.json',
  );
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    log(
      `bench:engine failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exitCode = 1;
  },
);
