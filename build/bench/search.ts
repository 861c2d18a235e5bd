/**
 * `npm run bench:search`: vector search engines on synthetic BLIP-2-sized embeddings (Q=32 query
 * vectors × E=256 per photo, fp16 blobs in a temporary library database). For each size and
 * engine: first-sync time, p50/p95 query latency (engines' queries interleaved so drift hits all
 * alike), recall@10 against exact brute force, RSS growth and index size. `--json out.json`
 * writes the numbers too. Temporary files are removed on exit.
 */
import { Command } from 'commander';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openLibraryDatabase, type LibraryDatabase } from '../../src-main/library/db/database.ts';
import {
  openVectorIndex,
  type IndexStrategy,
  type VectorEngine,
  type VectorIndex,
} from '../../src-main/library/vector/vector-index.ts';
import {
  estimateVssIndexBytes,
  VSS_BLOB_LIMIT_BYTES,
} from '../../src-main/library/vector/vss-backend.ts';
import { SyntheticLibrary, writeSyntheticEmbeddings } from './search-synthetic.ts';
import {
  formatSearchReport,
  percentile,
  type EngineResult,
  type SearchBenchReport,
  type SizeResult,
} from './search-report.ts';
import { availableMemoryBytes, cpuModel, freeDiskBytes, GIB, MIB } from './system.ts';
import { positiveInt } from '../../src-main/cli/arguments.ts';

const ROWS = 32;
const DIMENSIONS = 256;
const MODEL_KEY = 'bench-itm';
const KIND = 'itc-image';
const K = 10;

interface CliOptions {
  sizes: number[];
  queries: number;
  overfetch: number[];
  perQueryMax: number;
  vssPerQueryMax: number;
  json?: string;
  workDir?: string;
  seed: number;
}

const intList = (value: string): number[] => value.split(',').map((v) => positiveInt(v.trim()));

function parseArgs(argv: string[]): CliOptions {
  return new Command('bench:search')
    .description(
      'Vector search engines (sqlite-vss, sqlite-vec, exact) on synthetic BLIP-2 embeddings.',
    )
    .option('--sizes <list>', 'photo counts, comma separated', intList, [10_000, 100_000])
    .option('--queries <n>', 'timed text queries per size', positiveInt, 50)
    .option(
      '--overfetch <list>',
      'pooled: extra rows with exactly N·k candidates rescored (reusing the built index)',
      intList,
      [2, 5, 10, 20],
    )
    .option(
      '--per-query-max <n>',
      'largest size at which per-query indexes are built',
      positiveInt,
      10_000,
    )
    .option(
      '--vss-per-query-max <n>',
      'largest size at which a per-query sqlite-vss index is built (its build is superlinear)',
      positiveInt,
      2_000,
    )
    .option('--json <file>', 'also write the results as JSON')
    .option('--work-dir <dir>', 'where the temporary database goes (default: the OS temp folder)')
    .option('--seed <n>', 'synthetic data seed', positiveInt, 2024)
    .parse(argv)
    .opts<CliOptions>();
}

const log = (message: string): void => {
  process.stderr.write(`bench:search: ${message}\n`);
};

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const rssMiB = (): number => {
  collectGarbage();
  return process.memoryUsage.rss() / MIB;
};

function databaseBytes(db: LibraryDatabase, path: string): number {
  db.pragma('wal_checkpoint(TRUNCATE)');
  const size = (p: string) => statSync(p, { throwIfNoEntry: false })?.size ?? 0;
  return size(path) + size(`${path}-wal`);
}

/** Bytes of the tables (and shadow tables) a SQLite engine created, from dbstat. */
function indexTableBytes(
  db: LibraryDatabase,
  engine: VectorEngine,
  strategy: IndexStrategy,
): number {
  const prefix =
    `vector_index_${engine === 'sqlite-vss' ? 'vss' : 'vec'}_` +
    `${strategy === 'pooled' ? 'pooled' : 'perq'}_`;
  const row = db
    .prepare<[string], { bytes: number | null }>(
      "SELECT sum(pgsize) AS bytes FROM dbstat WHERE name LIKE ? || '%'",
    )
    .get(prefix);
  return row?.bytes ?? 0;
}

interface Plan {
  engine: VectorEngine;
  strategy: IndexStrategy;
}

const PLANS: Plan[] = [
  { engine: 'exact', strategy: 'per-query' },
  { engine: 'sqlite-vss', strategy: 'pooled' },
  { engine: 'sqlite-vec', strategy: 'pooled' },
  { engine: 'sqlite-vss', strategy: 'per-query' },
  { engine: 'sqlite-vec', strategy: 'per-query' },
];

interface Contender {
  result: EngineResult;
  index: VectorIndex;
  latencies: number[];
  answers: Set<number>[];
}

function emptyResult(size: number, plan: Plan, overfetch: number | null): EngineResult {
  return {
    size,
    engine: plan.engine,
    strategy: plan.strategy,
    overfetch,
    reason: null,
    buildSeconds: null,
    p50Ms: null,
    p95Ms: null,
    recallAt10: null,
    rssDeltaMiB: null,
    indexMiB: null,
    skipped: null,
  };
}

/** Why a size cannot run here (memory for the exact engine's matrix, disk for the database). */
function sizeObstacle(size: number, options: CliOptions, base: string): string | null {
  const matrix = size * ROWS * DIMENSIONS * 4;
  const blobs = size * ROWS * DIMENSIONS * 2;
  const perQuery = size <= options.perQueryMax ? size * ROWS * (DIMENSIONS * 4 + 8) : 0;
  const memory = availableMemoryBytes();
  if (matrix * 1.2 + GIB > memory) {
    return (
      `the exact engine (the recall ground truth) needs ${(matrix / GIB).toFixed(1)} GiB in ` +
      `memory, ${(memory / GIB).toFixed(1)} GiB available`
    );
  }
  const disk = freeDiskBytes(base);
  const needed = blobs * 1.2 + perQuery + 0.5 * GIB;
  if (needed > disk) {
    return (
      `needs about ${(needed / GIB).toFixed(1)} GiB of disk in ${base}, ` +
      `${(disk / GIB).toFixed(1)} GiB free`
    );
  }
  return null;
}

function planObstacle(size: number, plan: Plan, options: CliOptions): string | null {
  if (plan.strategy !== 'per-query' || plan.engine === 'exact') return null;
  const vectors = size * ROWS;
  if (plan.engine === 'sqlite-vss') {
    const bytes = estimateVssIndexBytes(vectors, DIMENSIONS);
    if (bytes > VSS_BLOB_LIMIT_BYTES) {
      return `${vectors} vectors need a ${(bytes / 1e9).toFixed(1)} GB Faiss blob, over sqlite-vss' 1 GB limit`;
    }
    if (size > options.vssPerQueryMax) {
      return (
        `${vectors} vectors: vss0 inserts slow down with every pending insert and each commit ` +
        `rewrites the whole index (superlinear build); above --vss-per-query-max ${options.vssPerQueryMax}`
      );
    }
  }
  if (size > options.perQueryMax) {
    return (
      `${vectors} vectors (${((vectors * DIMENSIONS * 4) / GIB).toFixed(1)} GiB) scanned per ` +
      `query; above --per-query-max ${options.perQueryMax}`
    );
  }
  return null;
}

/** `overfetch` null: the library defaults; a number: exactly overfetch·k candidates. */
function open(db: LibraryDatabase, plan: Plan, overfetch: number | null): VectorIndex {
  const fixed = overfetch === null ? {} : { overfetch, minCandidates: 0, candidateFraction: 0 };
  return openVectorIndex(db, {
    modelKey: MODEL_KEY,
    kind: KIND,
    rows: ROWS,
    dimensions: DIMENSIONS,
    engine: plan.engine,
    strategy: plan.strategy,
    ...fixed,
  }).index;
}

/** Opens and syncs every engine that can run at this size; skipped ones are recorded. */
function buildContenders(
  db: LibraryDatabase,
  size: number,
  options: CliOptions,
  results: EngineResult[],
): Contender[] {
  const contenders: Contender[] = [];
  for (const plan of PLANS) {
    const result = emptyResult(size, plan, null);
    results.push(result);
    const skip = planObstacle(size, plan, options);
    if (skip) {
      result.skipped = skip;
      log(`${size} ${plan.engine} ${plan.strategy}: skipped (${skip})`);
      continue;
    }
    const rssBefore = rssMiB();
    let index: VectorIndex;
    try {
      index = open(db, plan, null);
    } catch (error) {
      result.skipped = error instanceof Error ? error.message : String(error);
      log(`${size} ${plan.engine}: skipped (${result.skipped})`);
      continue;
    }
    const started = performance.now();
    const report = index.sync();
    result.buildSeconds = (performance.now() - started) / 1000;
    result.rssDeltaMiB = rssMiB() - rssBefore;
    result.indexMiB =
      (plan.engine === 'exact'
        ? report.total * ROWS * DIMENSIONS * 4
        : indexTableBytes(db, plan.engine, plan.strategy)) / MIB;
    log(
      `${size} ${plan.engine} ${plan.strategy}: synced ${report.total} photos in ` +
        `${result.buildSeconds.toFixed(1)} s`,
    );
    contenders.push({ result, index, latencies: [], answers: [] });

    // Other over-fetch factors reuse the same tables: no second build.
    for (const extra of plan.strategy === 'pooled' ? options.overfetch : []) {
      const variant = emptyResult(size, plan, extra);
      results.push(variant);
      contenders.push({
        result: variant,
        index: open(db, plan, extra),
        latencies: [],
        answers: [],
      });
    }
  }
  return contenders;
}

function timeQueries(contenders: Contender[], queries: Float32Array[]): void {
  // Warm-up: statement preparation, page cache.
  for (const c of contenders) c.index.search(queries[0]!, K);
  for (const [i, query] of queries.entries()) {
    for (let j = 0; j < contenders.length; j++) {
      const c = contenders[(i + j) % contenders.length]!;
      const t0 = performance.now();
      const hits = c.index.search(query, K);
      c.latencies.push(performance.now() - t0);
      c.answers.push(new Set(hits.map((h) => h.photoId)));
    }
  }
  const exact = contenders.find((c) => c.result.engine === 'exact');
  if (!exact) throw new Error('the exact engine is needed as ground truth');
  for (const c of contenders) {
    const sorted = [...c.latencies].sort((a, b) => a - b);
    c.result.p50Ms = percentile(sorted, 50);
    c.result.p95Ms = percentile(sorted, 95);
    let recall = 0;
    for (const [i, truth] of exact.answers.entries()) {
      recall += [...c.answers[i]!].filter((id) => truth.has(id)).length / truth.size;
    }
    c.result.recallAt10 = recall / exact.answers.length;
  }
}

// Removed on Ctrl-C too (the finally blocks do not run when a signal ends the process).
const workDirs = new Set<string>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}

function runSize(size: number, options: CliOptions, base: string): SizeResult {
  const obstacle = sizeObstacle(size, options, base);
  if (obstacle) {
    log(`${size}: skipped (${obstacle})`);
    return { size, generateSeconds: null, embeddingsMiB: null, skipped: obstacle, engines: [] };
  }
  const work = mkdtempSync(join(base, 'sightline-bench-search-'));
  workDirs.add(work);
  const path = join(work, 'library.db');
  const db = openLibraryDatabase(path);
  const results: EngineResult[] = [];
  let contenders: Contender[] = [];
  try {
    const library = new SyntheticLibrary({
      rows: ROWS,
      dimensions: DIMENSIONS,
      topics: 200,
      seed: options.seed,
    });
    log(`${size}: writing synthetic embeddings to ${path}`);
    const emptyBytes = databaseBytes(db, path);
    const started = performance.now();
    writeSyntheticEmbeddings(db, library, {
      modelKey: MODEL_KEY,
      kind: KIND,
      first: 0,
      count: size,
    });
    const generateSeconds = (performance.now() - started) / 1000;
    const embeddingsMiB = (databaseBytes(db, path) - emptyBytes) / MIB;

    contenders = buildContenders(db, size, options, results);
    const queries = Array.from({ length: options.queries }, (_, i) => library.query(i, size));
    log(`${size}: ${queries.length} queries × ${contenders.length} engines`);
    timeQueries(contenders, queries);
    return { size, generateSeconds, embeddingsMiB, skipped: null, engines: results };
  } finally {
    for (const c of contenders) c.index.close();
    db.close();
    rmSync(work, { recursive: true, force: true });
    workDirs.delete(work);
  }
}

function main(): number {
  const started = performance.now();
  const options = parseArgs(process.argv);
  const base = resolve(options.workDir ?? tmpdir());
  mkdirSync(base, { recursive: true });
  const sizes: SizeResult[] = [];
  for (const size of options.sizes) sizes.push(runSize(size, options, base));
  const report: SearchBenchReport = {
    rows: ROWS,
    dimensions: DIMENSIONS,
    queries: options.queries,
    k: K,
    cpu: cpuModel(),
    cores: availableParallelism(),
    node: process.version,
    sizes,
    totalSeconds: (performance.now() - started) / 1000,
  };
  console.log(formatSearchReport(report));
  if (options.json) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
  return 0;
}

process.exitCode = main();
