import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { watch } from 'chokidar';
import { Blip2Captioner } from '../../engine/blip2/captioner.ts';
import { Blip2Retrieval } from '../../engine/blip2/retrieval.ts';
import { openLibraryDatabase } from '../../library/db/database.ts';
import {
  Indexer,
  type IndexProgress,
  type IndexReport,
  type RootSpec,
} from '../../library/indexer/indexer.ts';
import { SidecarWriter } from '../../library/indexer/sidecar-writer.ts';
import { VectorIndexSync } from '../../library/indexer/vector-sync.ts';
import { DecodePool } from '../../library/media/decode-pool.ts';
import { defaultDatabasePath, defaultThumbnailDir, resolveModelDir } from '../../library/paths.ts';
import { note, printJson } from '../output.ts';
import {
  addRuntimeFlags,
  reportProviders,
  runtimeOptions,
  type RuntimeFlags,
} from '../runtime-flags.ts';
import { nonNegativeInt, positiveInt } from '../arguments.ts';

interface IndexFlags extends RuntimeFlags {
  db?: string;
  captionModel?: string;
  searchModel?: string;
  watch?: boolean;
  batchSize: number;
  workers?: number;
  beams: number;
  maxNewTokens: number;
  capfilt: number;
  sidecars?: boolean;
  include?: string[];
  exclude?: string[];
  json?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function registerIndexCommand(program: Command): void {
  addRuntimeFlags(
    program
      .command('index')
      .description(
        'index folders of photos: captions, tags and search embeddings (resumable; re-runs are incremental)',
      )
      .argument('<dirs...>', 'library folders')
      .option('--db <path>', 'library database (default: the app data folder)')
      .option(
        '--caption-model <converted-dir>',
        'converted Blip2ForConditionalGeneration (default: the installed one)',
      )
      .option(
        '--search-model <converted-dir>',
        'converted Blip2ForImageTextRetrieval (default: the installed one)',
      )
      .option('--watch', 'keep running and index changes as they happen')
      .option(
        '--batch-size <n>',
        'photos per model batch and per database transaction',
        positiveInt,
        8,
      )
      .option('--workers <n>', 'decoding worker threads (default: cores - 1)', positiveInt)
      .option('--beams <k>', 'caption beam width', positiveInt, 3)
      .option('--max-new-tokens <n>', 'caption length limit', positiveInt, 30)
      .option(
        '--capfilt <n>',
        'CapFilt: sample n extra captions and keep the one ITM scores highest',
        nonNegativeInt,
        0,
      )
      .option('--sidecars', 'write captions and tags to XMP sidecars next to the photos')
      .option(
        '--include <glob>',
        'only files matching (repeatable; relative to each folder)',
        collect,
      )
      .option('--exclude <glob>', 'skip files matching (repeatable)', collect)
      .option('--json', 'print the final report as JSON'),
  ).action(async (dirs: string[], flags: IndexFlags) => {
    await runIndex(dirs, flags);
  });
}

async function runIndex(dirs: string[], flags: IndexFlags): Promise<void> {
  const runtime = runtimeOptions(flags);
  const db = openLibraryDatabase(flags.db ?? defaultDatabasePath());
  const [captioner, retrieval] = await Promise.all([
    Blip2Captioner.load(resolveModelDir('caption', flags.captionModel), runtime),
    Blip2Retrieval.load(resolveModelDir('search', flags.searchModel), runtime),
  ]);
  const pool = new DecodePool(flags.workers === undefined ? {} : { size: flags.workers });
  const vectors = new VectorIndexSync(db, retrieval);
  const sidecars = flags.sidecars
    ? new SidecarWriter(db, (p) => note(`sidecar not written for ${p.path}: ${p.reason}`))
    : undefined;
  const bar = flags.json ? undefined : new ProgressView();
  const indexer = new Indexer({
    db,
    captioner,
    retrieval,
    pool,
    thumbnailDir: defaultThumbnailDir(flags.db),
    batchSize: flags.batchSize,
    inference: {
      caption: { maxNewTokens: flags.maxNewTokens, numBeams: flags.beams },
      capfiltSamples: flags.capfilt,
    },
    onProgress: (p) => bar?.update(p),
    onProblem: (p) => note(`skipped ${p.path}: ${p.reason}`),
    onBatchCommitted: async (photoIds) => {
      vectors.noteChanged(photoIds.length);
      await sidecars?.write(photoIds);
    },
  });
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    note('stopping after the current batch (Ctrl-C again to quit now; nothing is lost either way)');
    indexer.cancel();
  };
  process.on('SIGINT', onSigint);
  const roots: RootSpec[] = dirs.map((path) => ({
    path,
    ...(flags.include ? { include: flags.include } : {}),
    ...(flags.exclude ? { exclude: flags.exclude } : {}),
  }));
  try {
    vectors.repair();
    const report = await indexer.run(roots);
    vectors.flush();
    bar?.stop();
    reportProviders(captioner.model.providers);
    printReport(report, flags.json === true, vectors.describe());
    if (flags.watch && report.state === 'done')
      await watchRoots(dirs, indexer, roots, vectors, bar, flags.json === true);
  } finally {
    process.off('SIGINT', onSigint);
    bar?.stop();
    await pool.close();
    await Promise.all([captioner.release(), retrieval.release()]);
    vectors.close();
    db.close();
  }
}

function printReport(report: IndexReport, json: boolean, vectorEngine: string): void {
  if (json) {
    printJson({ ...report, vectorIndex: vectorEngine });
    return;
  }
  const t = report.timings;
  process.stdout.write(
    `${report.state === 'done' ? 'indexed' : 'stopped'}: ${report.scanned} files scanned (${report.added} new, ${report.changed} changed, ${report.missing} missing), ` +
      `${report.analysed} analysed, ${report.linked} reused, ${report.errors} errors in ${report.seconds.toFixed(1)} s ` +
      `(decode ${(t.decodeMs / 1000).toFixed(1)} s, model ${(t.modelMs / 1000).toFixed(1)} s, database ${(t.databaseMs / 1000).toFixed(1)} s); vector index: ${vectorEngine}\n`,
  );
  if (report.errors > 0) process.stdout.write('run `sightline errors` to see why files failed\n');
}

async function watchRoots(
  dirs: string[],
  indexer: Indexer,
  roots: RootSpec[],
  vectors: VectorIndexSync,
  bar: ProgressView | undefined,
  json: boolean,
): Promise<void> {
  const watcher = watch(dirs, {
    ignoreInitial: true,
    awaitWriteFinish: { stabilityThreshold: 1000 },
  });
  // Changes made before the watcher's own initial scan completes would be missed.
  await new Promise<void>((resolveReady) => watcher.once('ready', () => resolveReady()));
  note(`watching ${dirs.join(', ')} for changes (Ctrl-C to stop)`);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  await new Promise<void>((resolveWatch) => {
    const rerun = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        running = running.then(async () => {
          const report = await indexer.run(roots);
          vectors.flush();
          bar?.stop();
          printReport(report, json, vectors.describe());
          if (report.state === 'cancelled') resolveWatch();
        });
      }, 1500);
    };
    watcher.on('all', rerun);
    process.once('SIGINT', () => {
      clearTimeout(timer);
      resolveWatch();
    });
  });
  await running;
  await watcher.close();
}

/** Terminal progress: counts, photos/s, ETA and the current file. */
class ProgressView {
  private bar: cliProgress.SingleBar | undefined;
  private lastLine = 0;

  update(p: IndexProgress): void {
    if (!process.stderr.isTTY) {
      const now = Date.now();
      if (p.phase === 'indexing' && now - this.lastLine > 5000) {
        this.lastLine = now;
        note(
          `indexing ${p.done}/${p.total} (${p.photosPerSecond.toFixed(2)} photos/s, ${p.errors} errors)`,
        );
      }
      return;
    }
    if (p.phase !== 'indexing') return;
    const payload = {
      rate: p.photosPerSecond.toFixed(2),
      errors: p.errors,
      file: shorten(p.currentFile ?? ''),
    };
    if (!this.bar) {
      this.bar = new cliProgress.SingleBar(
        {
          format:
            'indexing [{bar}] {value}/{total} | {rate} photos/s | ETA {eta_formatted} | {errors} errors | {file}',
          stream: process.stderr,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(p.total, p.done, payload);
    } else {
      this.bar.update(p.done, payload);
    }
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

function shorten(path: string): string {
  return path.length > 50 ? `…${path.slice(-49)}` : path;
}
