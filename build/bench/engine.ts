/**
 * `npm run bench:engine`: full-size random-weight BLIP-2 (blip2-opt-2.7b dimensions), stage by
 * stage, onnxruntime (our converted graphs) against the float32 PyTorch reference on the same
 * weights and inputs. Prints timings and the max abs difference of each stage's output.
 * Only one stage's weights exist at a time (on disk and in memory), so it fits a 24 GB machine.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseBlip2Config } from '../../native-models/builder/architectures/blip-2-config.ts';
import { checkpointTensors, elementCount } from './checkpoint-tensors.ts';
import { benchConfig, type BenchScale } from './model-config.ts';
import {
  killReferenceProcesses,
  ReferenceProcess,
  type ReferenceVersions,
} from './reference-process.ts';
import { formatReport, summarize, type BenchReport } from './report.ts';
import { runStage, type StageReport } from './stage-runner.ts';
import { STAGES, type Carry } from './stages.ts';
import { availableMemoryBytes, cpuModel, freeDiskBytes, GIB, totalMemoryBytes } from './system.ts';

interface CliOptions {
  scale: BenchScale;
  threads: number;
  reps: number;
  json?: string;
  workDir?: string;
  stages: string[];
  seed: number;
  reference: boolean;
}

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

function parseArgs(argv: string[]): CliOptions {
  const names = STAGES.map((s) => s.name);
  return new Command('bench:engine')
    .description(
      'Time onnxruntime against the PyTorch reference on a random full-size BLIP-2 (blip2-opt-2.7b dims).',
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
    .option('--reps <n>', 'timed repetitions per stage (after one warm-up)', positiveInt, 5)
    .option('--json <file>', 'also write the results as JSON')
    .option('--work-dir <dir>', 'where the temporary checkpoints go (default: the OS temp folder)')
    .option(
      '--stages <list>',
      `comma list of ${names.join(', ')}`,
      (v) => v.split(',').map((s) => s.trim()),
      names,
    )
    .option('--seed <n>', 'random weights seed', positiveInt, 20234)
    .option('--no-reference', 'time onnxruntime only')
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
    killReferenceProcesses();
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
    const versions: Record<string, string> = {
      node: process.version,
      'onnxruntime-node': onnxRuntimeVersion(),
    };
    let referenceSkipped: string | null = options.reference ? null : 'disabled with --no-reference';
    if (options.reference) {
      const probe = await ReferenceProcess.start(options.threads);
      if ('skipped' in probe) referenceSkipped = probe.skipped;
      else {
        Object.assign(versions, referenceVersions(probe.versions));
        await probe.process.close();
      }
    }
    if (referenceSkipped) log(`PyTorch reference skipped: ${referenceSkipped}`);
    log(`work folder ${work}, ${options.threads} threads, ${options.reps} repetitions`);

    const carry: Carry = {};
    const reports: StageReport[] = [];
    for (const [i, stage] of stages.entries()) {
      const prefix = `[${i + 1}/${stages.length} ${stage.name}]`;
      const stageStart = performance.now();
      reports.push(
        await runStage(stage, carry, {
          config,
          rawConfig,
          workDir: work,
          threads: options.threads,
          reps: options.reps,
          seed: options.seed,
          withReference: referenceSkipped === null,
          progress: (message) => log(`${prefix} ${message}`),
        }),
      );
      log(`${prefix} done in ${((performance.now() - stageStart) / 1000).toFixed(0)} s`);
    }

    const report: BenchReport = {
      scale: options.scale,
      threads: options.threads,
      reps: options.reps,
      cpu: cpuModel(),
      cores: availableParallelism(),
      memoryGiB: totalMemoryBytes() / GIB,
      versions,
      referenceSkipped,
      ...summarize(reports),
      totalSeconds: (performance.now() - started) / 1000,
    };
    console.log(formatReport(report));
    if (options.json) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    const failed = report.stages.filter((s) => s.parity === false || !s.ortOutputFinite);
    if (failed.length > 0) log(`parity FAILED: ${failed.map((s) => s.stage).join(', ')}`);
    return failed.length > 0 ? 1 : 0;
  } finally {
    cleanup();
  }
}

/** Per stage: the fp16 checkpoint plus the fp32 ONNX data (twice its size) exist together. */
function checkResources(base: string, fp16BytesPerStage: number[]): void {
  const largest = Math.max(...fp16BytesPerStage);
  const diskNeeded = 3 * largest + 0.5 * GIB;
  const diskFree = freeDiskBytes(base);
  if (diskFree < diskNeeded) {
    throw new Error(
      `not enough free disk in ${base}: the largest stage needs ${(diskNeeded / GIB).toFixed(1)} GiB (fp16 checkpoint + fp32 ONNX), ` +
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

function referenceVersions(v: ReferenceVersions): Record<string, string> {
  return { python: v.python, torch: v.torch, numpy: v.numpy, blas: v.blas };
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
