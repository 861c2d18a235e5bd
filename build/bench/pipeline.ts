/**
 * `npm run bench:pipeline`: the indexing figure. Random full-size weights (a
 * Blip2ForConditionalGeneration with blip2-opt-2.7b dimensions and a Blip2ForImageTextRetrieval
 * with the same vision tower) go through `convertCheckpoint` at one precision, then the real
 * indexing path — decode workers, vision, ITC, captions with the default beams, tags, database,
 * vector index — over N copies of the test photos. Prints photos/hour, the process's peak RSS
 * and the converted models' size on disk. `--scale small` runs the same path in seconds.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseBlip2Config } from '../../native-models/builder/architectures/blip-2-config.ts';
import { convertCheckpoint, type ConvertOptions } from '../../native-models/builder/convert.ts';
import { isPrecision, type Precision } from '../../native-models/builder/precision.ts';
import { MANIFEST_FILE } from '../../native-models/manifest.ts';
import { Blip2Captioner } from '../../src-main/engine/blip2/captioner.ts';
import { Blip2Retrieval } from '../../src-main/engine/blip2/retrieval.ts';
import { openLibraryDatabase } from '../../src-main/library/db/database.ts';
import { Indexer, type IndexReport } from '../../src-main/library/indexer/indexer.ts';
import { VectorIndexSync } from '../../src-main/library/indexer/vector-sync.ts';
import { DecodePool } from '../../src-main/library/media/decode-pool.ts';
import { elementCount, modelTensors } from './checkpoint-tensors.ts';
import { buildBenchLibrary } from './index-library.ts';
import { benchConfig, retrievalBenchConfig, type BenchScale } from './model-config.ts';
import { writePipelineCheckpoint } from './pipeline-checkpoint.ts';
import {
  cpuFeatures,
  describeCpu,
  folderBytes,
  freeDiskBytes,
  GIB,
  MIB,
  PeakRss,
  totalMemoryBytes,
} from './system.ts';

const ROOT = join(import.meta.dirname, '..', '..');

interface CliOptions {
  scale: BenchScale;
  precision: Precision;
  photos: number;
  threads: number;
  workers: number;
  source: string;
  workDir?: string;
  json?: string;
  seed: number;
}

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

function parseArgs(argv: string[]): CliOptions {
  return new Command('bench:pipeline')
    .description(
      'Photos per hour through the real indexing path on random full-size BLIP-2 weights.',
    )
    .addOption(
      new Option('--scale <scale>', 'model dimensions').choices(['full', 'small']).default('full'),
    )
    .option(
      '--precision <precision>',
      'conversion precision (models convert --precision)',
      (v: string) => {
        if (!isPrecision(v)) throw new InvalidArgumentError('expected fp32, fp16, int8 or int4');
        return v;
      },
      'fp32',
    )
    .option('--photos <n>', 'photos to index (copies of the test library)', positiveInt, 48)
    .option('--threads <n>', 'onnxruntime threads per session', positiveInt, availableParallelism())
    .option('--workers <n>', 'decode workers', positiveInt, Math.max(1, availableParallelism() - 1))
    .option(
      '--source <dir>',
      'photos to replicate',
      join(ROOT, 'test', 'fixtures', 'photos', 'library'),
    )
    .option(
      '--work-dir <dir>',
      'where checkpoints, models and the library go (default: the OS temp folder)',
    )
    .option('--json <file>', 'also write the result as JSON')
    .option('--seed <n>', 'random weights seed', positiveInt, 20234)
    .parse(argv)
    .opts<CliOptions>();
}

export interface PipelineReport {
  scale: BenchScale;
  precision: Precision;
  cpu: ReturnType<typeof cpuFeatures>;
  cores: number;
  memoryGiB: number;
  threads: number;
  photos: number;
  processed: number;
  errors: number;
  seconds: number;
  photosPerHour: number;
  timings: IndexReport['timings'];
  /** Peak resident memory of this process from loading both models to the end of indexing. */
  peakRssMb: number;
  /** What the run left in the database (random weights: the caption is nonsense by design). */
  written: { captions: number; tags: number; sampleCaption: string | null };
  modelBytes: { captioning: number; retrieval: number };
  convertSeconds: { captioning: number; retrieval: number };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv);
  const base = resolve(options.workDir ?? tmpdir());
  mkdirSync(base, { recursive: true });
  checkDisk(base, options.scale);
  const work = mkdtempSync(join(base, 'sightline-bench-pipeline-'));
  const cleanup = (): void => rmSync(work, { recursive: true, force: true });
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.on(signal, () => {
      cleanup();
      process.exit(130);
    });
  try {
    const converted = {
      captioning: await prepareModel(work, 'captioning', benchConfig(options.scale), options),
      retrieval: await prepareModel(
        work,
        'retrieval',
        retrievalBenchConfig(options.scale),
        options,
      ),
    };
    const library = join(work, 'library');
    const count = buildBenchLibrary(options.source, library, options.photos);

    const rss = new PeakRss();
    rss.reset();
    log(`loading both models (${options.threads} threads each)`);
    const runtime = { providers: ['cpu'] as const, intraOpThreads: options.threads };
    const captioner = await Blip2Captioner.load(converted.captioning.dir, runtime);
    const retrieval = await Blip2Retrieval.load(converted.retrieval.dir, runtime);
    const pool = new DecodePool({ size: options.workers });
    const db = openLibraryDatabase(join(work, 'library.db'));
    let report: IndexReport;
    let written: PipelineReport['written'];
    try {
      const vectors = new VectorIndexSync(db, retrieval);
      const indexer = new Indexer({
        db,
        captioner,
        retrieval,
        pool,
        thumbnailDir: join(work, 'thumbnails'),
        // As `sightline index` does: the vector index catches up as batches commit.
        onBatchCommitted: (photoIds) => vectors.noteChanged(photoIds.length),
        onProgress: (p) => {
          if (p.phase === 'indexing') process.stderr.write(`  indexed ${p.done}/${p.total}\r`);
        },
      });
      log(`indexing ${count} photos, ${pool.size} decode worker(s)`);
      vectors.repair();
      report = await indexer.run([{ path: library }]);
      vectors.flush();
      vectors.close();
      process.stderr.write('\n');
      written = {
        captions: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM captions').get()!.n,
        tags: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM tags').get()!.n,
        sampleCaption:
          db.prepare<[], { text: string }>('SELECT text FROM captions ORDER BY id LIMIT 1').get()
            ?.text ?? null,
      };
    } finally {
      db.close();
      await pool.close();
      await Promise.all([captioner.release(), retrieval.release()]);
    }
    const result: PipelineReport = {
      scale: options.scale,
      precision: options.precision,
      cpu: cpuFeatures(),
      cores: availableParallelism(),
      memoryGiB: totalMemoryBytes() / GIB,
      threads: options.threads,
      photos: count,
      processed: report.processed,
      errors: report.errors,
      seconds: report.seconds,
      photosPerHour: (report.processed / report.seconds) * 3600,
      timings: report.timings,
      peakRssMb: rss.megabytes(),
      written,
      modelBytes: { captioning: converted.captioning.bytes, retrieval: converted.retrieval.bytes },
      convertSeconds: {
        captioning: converted.captioning.seconds,
        retrieval: converted.retrieval.seconds,
      },
    };
    console.log(formatPipeline(result));
    if (options.json) writeFileSync(options.json, `${JSON.stringify(result, null, 2)}\n`);
    if (report.errors > 0 || report.processed === 0 || written.captions === 0) process.exitCode = 1;
  } finally {
    cleanup();
  }
}

/** Writes the random checkpoint, converts it at the requested precision, removes the checkpoint. */
async function prepareModel(
  work: string,
  model: 'captioning' | 'retrieval',
  rawConfig: Record<string, unknown>,
  options: CliOptions,
): Promise<{ dir: string; bytes: number; seconds: number }> {
  const source = join(work, `${model}-hf`);
  const out = join(work, model);
  log(`${model}: writing random fp16 weights`);
  await writePipelineCheckpoint(source, model, rawConfig, options.seed);
  log(`${model}: converting (${options.precision})`);
  const started = performance.now();
  // `precision` is the conversion option of issue 9; a build whose converter ignores it would
  // silently produce fp32 graphs, so the manifest must confirm the precision below.
  const convertOptions: ConvertOptions & { precision: Precision } = {
    precision: options.precision,
  };
  convertCheckpoint(source, out, convertOptions);
  const seconds = (performance.now() - started) / 1000;
  rmSync(source, { recursive: true, force: true });
  if (!existsSync(join(out, MANIFEST_FILE))) throw new Error(`${out}: conversion left no manifest`);
  const manifest = JSON.parse(readFileSync(join(out, MANIFEST_FILE), 'utf8')) as {
    precision?: string;
  };
  const recorded = manifest.precision ?? 'fp32';
  if (recorded !== options.precision) {
    throw new Error(
      `asked for --precision ${options.precision}, the converter wrote ${recorded} graphs (no precision support in this build's convertCheckpoint)`,
    );
  }
  return { dir: out, bytes: folderBytes(out), seconds };
}

/** The fp16 checkpoint and its fp32 conversion (twice its size) exist together, per model. */
function checkDisk(base: string, scale: BenchScale): void {
  const fp16Bytes = (model: 'captioning' | 'retrieval', raw: Record<string, unknown>): number =>
    modelTensors(parseBlip2Config(raw), model).reduce((n, t) => n + 2 * elementCount(t), 0);
  const needed =
    3 * fp16Bytes('captioning', benchConfig(scale)) +
    3 * fp16Bytes('retrieval', retrievalBenchConfig(scale)) +
    0.5 * GIB;
  const free = freeDiskBytes(base);
  if (free < needed) {
    throw new Error(
      `not enough free disk in ${base}: ${(needed / GIB).toFixed(1)} GiB needed, ${(free / GIB).toFixed(1)} GiB free (use --work-dir)`,
    );
  }
}

export function formatPipeline(r: PipelineReport): string {
  const s = (ms: number): string => (ms / 1000).toFixed(1);
  return [
    `BLIP-2 indexing pipeline (${r.scale} scale, random weights, ${r.precision}): ${r.threads} onnxruntime threads`,
    `CPU: ${describeCpu(r.cpu)}; ${r.cores} logical cores, ${r.memoryGiB.toFixed(1)} GiB RAM`,
    '',
    '| precision | photos | errors | seconds | photos/hour | decode wait s | model s | database s | peak RSS MB | captioning model MB | retrieval model MB |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    `| ${r.precision} | ${r.processed} | ${r.errors} | ${r.seconds.toFixed(1)} | ${r.photosPerHour.toFixed(0)} | ${s(r.timings.decodeMs)} | ${s(r.timings.modelMs)} | ` +
      `${s(r.timings.databaseMs)} | ${r.peakRssMb.toFixed(0)} | ${(r.modelBytes.captioning / MIB).toFixed(1)} | ${(r.modelBytes.retrieval / MIB).toFixed(1)} |`,
    '',
    'model = vision + captions (default beams) + ITC + tags; peak RSS from loading both models to the end of indexing.',
    `database: ${r.written.captions} captions, ${r.written.tags} tags; first caption: ${JSON.stringify(r.written.sampleCaption)}`,
  ].join('\n');
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

main().catch((error: unknown) => {
  log(
    `bench:pipeline failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exitCode = 1;
});
