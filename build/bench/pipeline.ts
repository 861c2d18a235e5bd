/**
 * `npm run bench:pipeline`: the indexing figure. Random full-size weights (a
 * Blip2ForConditionalGeneration with blip2-opt-2.7b dimensions and a Blip2ForImageTextRetrieval
 * with the same vision tower) go through `convertCheckpoint` at one precision, then the real
 * indexing path — decode workers, vision, ITC, captions with the default beams, tags, database,
 * vector index — over N copies of the test photos. Prints photos/hour, the process's peak RSS
 * and the converted models' size on disk. `--scale small` runs the same path in seconds.
 */
import { Command, Option } from 'commander';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseBlip2Config } from '../../native-models/builder/architectures/blip-2-config.ts';
import { convertCheckpoint, type ConvertOptions } from '../../native-models/builder/convert.ts';
import type { Precision } from '../../native-models/builder/precision.ts';
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
import { positiveInt, precisionList } from '../../src-main/cli/arguments.ts';

const ROOT = join(import.meta.dirname, '..', '..');

interface CliOptions {
  scale: BenchScale;
  precisions: Precision[];
  photos: number;
  threads: number;
  workers: number;
  source: string;
  workDir?: string;
  json?: string;
  seed: number;
}

function parseArgs(argv: string[]): CliOptions {
  return new Command('bench:pipeline')
    .description(
      'Photos per hour through the real indexing path on random full-size BLIP-2 weights.',
    )
    .addOption(
      new Option('--scale <scale>', 'model dimensions').choices(['full', 'small']).default('full'),
    )
    .option(
      '--precisions <list>',
      'conversion precisions (models convert --precision), one indexing run each, in this order',
      precisionList,
      ['fp32', 'int4'],
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

/** One indexing run at one precision. */
export interface PipelineRow {
  precision: Precision;
  /** Why this precision could not run (e.g. the converter cannot make it); the rest is then empty. */
  unavailable: string | null;
  processed: number;
  errors: number;
  seconds: number;
  photosPerHour: number;
  /** This row's photos/hour ÷ the first row's (same run, same photos). */
  vsFirst: number | null;
  timings: IndexReport['timings'] | null;
  /** Peak resident memory of this process from loading both models to the end of indexing. */
  peakRssMb: number;
  /** What the run left in the database (random weights: the caption is nonsense by design). */
  written: { captions: number; tags: number; sampleCaption: string | null };
  modelBytes: { captioning: number; retrieval: number };
  convertSeconds: { captioning: number; retrieval: number };
}

export interface PipelineReport {
  scale: BenchScale;
  cpu: ReturnType<typeof cpuFeatures>;
  cores: number;
  memoryGiB: number;
  threads: number;
  photos: number;
  rows: PipelineRow[];
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
    const checkpoints = {
      captioning: join(work, 'captioning-hf'),
      retrieval: join(work, 'retrieval-hf'),
    };
    log('writing random fp16 checkpoints');
    await writePipelineCheckpoint(
      checkpoints.captioning,
      'captioning',
      benchConfig(options.scale),
      options.seed,
    );
    await writePipelineCheckpoint(
      checkpoints.retrieval,
      'retrieval',
      retrievalBenchConfig(options.scale),
      options.seed,
    );
    const library = join(work, 'library');
    const count = buildBenchLibrary(options.source, library, options.photos);
    const rows: PipelineRow[] = [];
    for (const precision of options.precisions) {
      const row = await indexAtPrecision(work, checkpoints, library, count, precision, options);
      rows.push(row);
      const first = rows.find((r) => r.unavailable === null);
      row.vsFirst =
        row.unavailable === null && first ? row.photosPerHour / first.photosPerHour : null;
    }
    const result: PipelineReport = {
      scale: options.scale,
      cpu: cpuFeatures(),
      cores: availableParallelism(),
      memoryGiB: totalMemoryBytes() / GIB,
      threads: options.threads,
      photos: count,
      rows,
    };
    console.log(formatPipeline(result));
    if (options.json) writeFileSync(options.json, `${JSON.stringify(result, null, 2)}\n`);
    const ran = rows.filter((r) => r.unavailable === null);
    const failed = ran.filter((r) => r.errors > 0 || r.processed === 0 || r.written.captions === 0);
    if (ran.length === 0 || failed.length > 0) process.exitCode = 1;
  } finally {
    cleanup();
  }
}

/** Converts both checkpoints at `precision`, indexes the library with them, removes them again. */
async function indexAtPrecision(
  work: string,
  checkpoints: { captioning: string; retrieval: string },
  library: string,
  count: number,
  precision: Precision,
  options: CliOptions,
): Promise<PipelineRow> {
  const row: PipelineRow = {
    precision,
    unavailable: null,
    processed: 0,
    errors: 0,
    seconds: 0,
    photosPerHour: 0,
    vsFirst: null,
    timings: null,
    peakRssMb: 0,
    written: { captions: 0, tags: 0, sampleCaption: null },
    modelBytes: { captioning: 0, retrieval: 0 },
    convertSeconds: { captioning: 0, retrieval: 0 },
  };
  const models = join(work, `models-${precision}`);
  try {
    let converted: { captioning: string; retrieval: string };
    try {
      converted = {
        captioning: convertAt(
          checkpoints.captioning,
          join(models, 'captioning'),
          precision,
          row,
          'captioning',
        ),
        retrieval: convertAt(
          checkpoints.retrieval,
          join(models, 'retrieval'),
          precision,
          row,
          'retrieval',
        ),
      };
    } catch (error) {
      row.unavailable = error instanceof Error ? error.message : String(error);
      log(`${precision}: unavailable: ${row.unavailable}`);
      return row;
    }
    const rss = new PeakRss();
    rss.reset();
    log(`${precision}: loading both models (${options.threads} threads each)`);
    const runtime = { providers: ['cpu'] as const, intraOpThreads: options.threads };
    const captioner = await Blip2Captioner.load(converted.captioning, runtime);
    const retrieval = await Blip2Retrieval.load(converted.retrieval, runtime);
    const pool = new DecodePool({ size: options.workers });
    const db = openLibraryDatabase(join(models, 'library.db'));
    try {
      const vectors = new VectorIndexSync(db, retrieval);
      const indexer = new Indexer({
        db,
        captioner,
        retrieval,
        pool,
        thumbnailDir: join(models, 'thumbnails'),
        // As `sightline index` does: the vector index catches up as batches commit.
        onBatchCommitted: (photoIds) => vectors.noteChanged(photoIds.length),
        onProgress: (p) => {
          if (p.phase === 'indexing') process.stderr.write(`  indexed ${p.done}/${p.total}\r`);
        },
      });
      log(`${precision}: indexing ${count} photos, ${pool.size} decode worker(s)`);
      vectors.repair();
      const report = await indexer.run([{ path: library }]);
      vectors.flush();
      vectors.close();
      process.stderr.write('\n');
      Object.assign(row, {
        processed: report.processed,
        errors: report.errors,
        seconds: report.seconds,
        photosPerHour: (report.processed / report.seconds) * 3600,
        timings: report.timings,
      });
      row.written = {
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
    row.peakRssMb = rss.megabytes();
    return row;
  } finally {
    rmSync(models, { recursive: true, force: true });
  }
}

/** `models convert --precision`, checked against the manifest so no fp32 graph runs under another name. */
function convertAt(
  source: string,
  out: string,
  precision: Precision,
  row: PipelineRow,
  model: 'captioning' | 'retrieval',
): string {
  log(`${precision}: converting the ${model} model`);
  const started = performance.now();
  // `precision` is the conversion option of issue 9; a build whose converter ignores it would
  // silently write fp32 graphs, which the manifest check below catches.
  const convertOptions: ConvertOptions & { precision: Precision } = { precision };
  convertCheckpoint(source, out, convertOptions);
  row.convertSeconds[model] = (performance.now() - started) / 1000;
  if (!existsSync(join(out, MANIFEST_FILE))) throw new Error(`${out}: conversion left no manifest`);
  const manifest = JSON.parse(readFileSync(join(out, MANIFEST_FILE), 'utf8')) as {
    precision?: string;
  };
  const recorded = manifest.precision ?? 'fp32';
  if (recorded !== precision) {
    throw new Error(
      `asked for --precision ${precision}, the converter wrote ${recorded} graphs (no precision support in this build's convertCheckpoint)`,
    );
  }
  row.modelBytes[model] = folderBytes(out);
  return out;
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
  const s = (ms: number | undefined): string => (ms === undefined ? '-' : (ms / 1000).toFixed(1));
  const mb = (bytes: number): string => (bytes / MIB).toFixed(1);
  return [
    `BLIP-2 indexing pipeline (${r.scale} scale, random weights): ${r.photos} photos, ${r.threads} onnxruntime threads`,
    `CPU: ${describeCpu(r.cpu)}; ${r.cores} logical cores, ${r.memoryGiB.toFixed(1)} GiB RAM`,
    '',
    '| precision | photos | errors | seconds | photos/hour | vs first | decode wait s | model s | database s | peak RSS MB | captioning model MB | retrieval model MB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.rows.map((row) =>
      row.unavailable
        ? `| ${row.precision} | unavailable: ${row.unavailable} |`
        : `| ${row.precision} | ${row.processed} | ${row.errors} | ${row.seconds.toFixed(1)} | ${row.photosPerHour.toFixed(0)} | ` +
          `${row.vsFirst === null ? '-' : `${row.vsFirst.toFixed(2)}×`} | ${s(row.timings?.decodeMs)} | ${s(row.timings?.modelMs)} | ` +
          `${s(row.timings?.databaseMs)} | ${row.peakRssMb.toFixed(0)} | ${mb(row.modelBytes.captioning)} | ${mb(row.modelBytes.retrieval)} |`,
    ),
    '',
    'model = vision + captions (default beams) + ITC + tags; peak RSS from loading both models to the end of indexing.',
    ...r.rows
      .filter((row) => !row.unavailable)
      .map(
        (row) =>
          `${row.precision} database: ${row.written.captions} captions, ${row.written.tags} tags; first caption: ${JSON.stringify(row.written.sampleCaption)}`,
      ),
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
