import { extname, resolve } from 'node:path';
import type { Blip2Captioner } from '../../engine/blip2/captioner.ts';
import type { Blip2Retrieval } from '../../engine/blip2/retrieval.ts';
import type { LibraryDatabase } from '../db/database.ts';
import type { DecodePool, ProcessedPhoto } from '../media/decode-pool.ts';
import { registerModel } from '../models.ts';
import { scanRoots } from '../scan/scanner.ts';
import { encodeFp16 } from '../vector/fp16.ts';
import { BatchInference, DEFAULT_INFERENCE_OPTIONS, type InferenceOptions } from './inference.ts';
import { LibraryWriter, type BatchOutcome, type ScannedFileRow } from './library-writer.ts';
import { PauseGate } from './pause-gate.ts';

export interface RootSpec {
  path: string;
  include?: string[];
  exclude?: string[];
}

export interface IndexProgress {
  phase: 'scanning' | 'indexing' | 'done' | 'cancelled';
  /** Files found so far (scanning) or files processed (indexing). */
  done: number;
  total: number;
  errors: number;
  photosPerSecond: number;
  etaSeconds: number | null;
  currentFile: string | null;
}

export interface IndexReport {
  jobId: number;
  state: 'done' | 'cancelled';
  scanned: number;
  added: number;
  changed: number;
  missing: number;
  processed: number;
  analysed: number;
  linked: number;
  errors: number;
  seconds: number;
  timings: { decodeMs: number; modelMs: number; databaseMs: number };
}

export interface IndexerOptions {
  db: LibraryDatabase;
  captioner: Blip2Captioner;
  retrieval: Blip2Retrieval;
  pool: DecodePool;
  thumbnailDir: string;
  batchSize?: number;
  maxPixels?: number;
  inference?: Partial<InferenceOptions>;
  onProgress?: (p: IndexProgress) => void;
  /** Called after each committed batch with the photos it wrote (sidecars, vector index sync). */
  onBatchCommitted?: (photoIds: readonly number[]) => Promise<void> | void;
  onProblem?: (p: { path: string; reason: string }) => void;
}

/**
 * Scans roots, then decodes (worker threads) → batches → BLIP-2 → writes, one transaction per
 * batch. Work is identified by content hash, so re-runs, moves and duplicates cost no inference,
 * and a run interrupted at any point resumes from the files still pending.
 */
export class Indexer {
  private readonly writer: LibraryWriter;
  private readonly inference: BatchInference;
  private readonly gate = new PauseGate();
  private readonly captionKey: string;
  private readonly searchKey: string;

  constructor(private readonly options: IndexerOptions) {
    this.writer = new LibraryWriter(options.db);
    this.inference = new BatchInference(options.captioner, options.retrieval, {
      ...DEFAULT_INFERENCE_OPTIONS,
      ...options.inference,
    });
    this.captionKey = registerModel(
      options.db,
      'caption',
      options.captioner.model.dir,
      options.captioner.model.manifest,
    );
    this.searchKey = registerModel(
      options.db,
      'search',
      options.retrieval.model.dir,
      options.retrieval.model.manifest,
    );
  }

  get modelKeys(): { caption: string; search: string } {
    return { caption: this.captionKey, search: this.searchKey };
  }

  pause(): void {
    this.gate.pause();
  }
  resume(): void {
    this.gate.resume();
  }
  /** Stops after the batch in flight is committed. */
  cancel(): void {
    this.gate.cancel();
  }

  async run(roots: readonly RootSpec[]): Promise<IndexReport> {
    const started = Date.now();
    const { db } = this.options;
    const jobId = this.writer.startJob('index', { roots });
    const report: IndexReport = {
      jobId,
      state: 'done',
      scanned: 0,
      added: 0,
      changed: 0,
      missing: 0,
      processed: 0,
      analysed: 0,
      linked: 0,
      errors: 0,
      seconds: 0,
      timings: { decodeMs: 0, modelMs: 0, databaseMs: 0 },
    };
    const progress = new ProgressTracker(this.options.onProgress);
    try {
      const rootIds = await this.scan(roots, report, progress);
      this.writer.requeueIncomplete(this.captionKey, this.searchKey);
      const pending = db
        .prepare<[], { id: number; path: string }>(
          `SELECT id, path FROM files WHERE status = 'pending' AND root_id IN (${rootIds.join(', ') || 'NULL'}) ORDER BY path`,
        )
        .all();
      this.writer.updateJob(jobId, { total: pending.length });
      progress.startIndexing(pending.length);
      await this.process(pending, jobId, report, progress);
      report.state = this.gate.cancelled ? 'cancelled' : 'done';
      this.writer.updateJob(jobId, {
        state: report.state === 'done' ? 'done' : 'cancelled',
        done: report.processed,
      });
    } catch (error) {
      this.writer.updateJob(jobId, {
        state: 'failed',
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
    report.seconds = (Date.now() - started) / 1000;
    progress.finish(report.state === 'done' ? 'done' : 'cancelled');
    return report;
  }

  private async scan(
    roots: readonly RootSpec[],
    report: IndexReport,
    progress: ProgressTracker,
  ): Promise<number[]> {
    const rootIds: number[] = [];
    for (const root of roots) {
      const path = resolve(root.path);
      const rootId = this.writer.upsertRoot(path, root.include ?? [], root.exclude ?? []);
      rootIds.push(rootId);
      const files: ScannedFileRow[] = [];
      for await (const file of scanRoots(
        [
          {
            path,
            ...(root.include ? { include: root.include } : {}),
            ...(root.exclude ? { exclude: root.exclude } : {}),
          },
        ],
        (p) => this.options.onProblem?.(p),
      )) {
        files.push({ path: file.path, size: file.size, mtimeMs: file.mtimeMs });
        progress.scanned(files.length, file.path);
      }
      const sync = this.writer.syncScan(rootId, files);
      report.scanned += files.length;
      report.added += sync.added;
      report.changed += sync.changed;
      report.missing += sync.missing;
    }
    return rootIds;
  }

  private async process(
    pending: readonly { id: number; path: string }[],
    jobId: number,
    report: IndexReport,
    progress: ProgressTracker,
  ): Promise<void> {
    const batchSize = this.options.batchSize ?? 8;
    const batches: { id: number; path: string }[][] = [];
    for (let i = 0; i < pending.length; i += batchSize)
      batches.push(pending.slice(i, i + batchSize));
    // Decode of batch i+1 overlaps inference of batch i.
    let next = batches[0] ? this.decode(batches[0]) : undefined;
    for (let b = 0; b < batches.length; b++) {
      if (!(await this.gate.wait())) break;
      const decodeStart = Date.now();
      const decoded = await next!;
      report.timings.decodeMs += Date.now() - decodeStart;
      next = batches[b + 1] && !this.gate.cancelled ? this.decode(batches[b + 1]!) : undefined;
      const modelStart = Date.now();
      const outcomes = await this.analyse(batches[b]!, decoded);
      report.timings.modelMs += Date.now() - modelStart;
      const dbStart = Date.now();
      report.processed += batches[b]!.length;
      const touched = this.writer.commitBatch(outcomes, { id: jobId, done: report.processed });
      report.timings.databaseMs += Date.now() - dbStart;
      for (const o of outcomes) {
        if (o.kind === 'error') report.errors++;
        else if (o.kind === 'linked') report.linked++;
        else report.analysed += o.fileIds.length;
      }
      await this.options.onBatchCommitted?.(touched);
      progress.indexed(report.processed, report.errors, batches[b]!.at(-1)!.path);
    }
    if (next) await next.catch(() => undefined);
  }

  private decode(
    batch: readonly { id: number; path: string }[],
  ): Promise<(ProcessedPhoto | { ok: false; path: string; stage: string; reason: string })[]> {
    const preprocessor = this.options.captioner.model.preprocessor;
    return Promise.all(
      batch.map((file) =>
        this.options.pool
          .process({
            path: file.path,
            preprocessor,
            thumbnailDir: this.options.thumbnailDir,
            maxPixels: this.options.maxPixels ?? 100_000_000,
          })
          .catch((error: unknown) => ({
            ok: false as const,
            path: file.path,
            stage: 'decode',
            reason: error instanceof Error ? error.message : String(error),
          })),
      ),
    );
  }

  /** Decides per file: error, link to an existing complete photo, or run the model (once per content). */
  private async analyse(
    batch: readonly { id: number; path: string }[],
    decoded: readonly (
      ProcessedPhoto | { ok: false; path: string; stage: string; reason: string }
    )[],
  ): Promise<BatchOutcome[]> {
    const outcomes: BatchOutcome[] = [];
    const toInfer = new Map<
      string,
      { photo: ProcessedPhoto; fileIds: number[]; needsCaption: boolean }
    >();
    batch.forEach((file, i) => {
      const result = decoded[i]!;
      if (!result.ok) {
        outcomes.push({
          kind: 'error',
          fileId: file.id,
          stage: result.stage,
          reason: result.reason,
        });
        return;
      }
      const state = this.writer.photoState(result.sha256, this.captionKey, this.searchKey);
      if (state?.hasCaption && state.hasEmbedding) {
        outcomes.push({
          kind: 'linked',
          fileId: file.id,
          sha256: result.sha256,
          photoId: state.photoId,
        });
        return;
      }
      const same = toInfer.get(result.sha256);
      if (same) same.fileIds.push(file.id);
      else
        toInfer.set(result.sha256, {
          photo: result,
          fileIds: [file.id],
          needsCaption: !state?.hasCaption,
        });
    });
    if (toInfer.size === 0) return outcomes;
    const items = [...toInfer.values()];
    const results = await this.inference.run(
      items.map((i) => i.photo.pixelValues),
      items.map((i) => i.needsCaption),
    );
    items.forEach((item, i) => {
      const r = results[i]!;
      const m = item.photo.metadata;
      outcomes.push({
        kind: 'analysed',
        fileIds: item.fileIds,
        sha256: item.photo.sha256,
        size: item.photo.size,
        metadata: {
          format: extname(item.photo.path).slice(1).toLowerCase() || null,
          width: m.width,
          height: m.height,
          orientation: m.orientation,
          takenAt: m.takenAt,
          cameraMake: m.cameraMake,
          cameraModel: m.cameraModel,
          gpsLatitude: m.gpsLatitude,
          gpsLongitude: m.gpsLongitude,
          keywords: m.keywords,
          description: m.description,
        },
        thumbnailPath: item.photo.thumbnailPath,
        caption: item.needsCaption
          ? { text: r.caption, score: r.captionScore, modelKey: this.captionKey }
          : null,
        embedding: {
          modelKey: this.searchKey,
          rows: r.rows,
          cols: r.cols,
          vectors: encodeFp16(r.imageFeats),
        },
        tags: item.needsCaption
          ? r.tags.map((t) => ({
              ...t,
              modelKey: t.source === 'caption' ? this.captionKey : this.searchKey,
            }))
          : r.tags
              .filter((t) => t.source === 'zero-shot')
              .map((t) => ({ ...t, modelKey: this.searchKey })),
      });
    });
    return outcomes;
  }
}

/** Counts, photos/s and ETA for progress bars; throttled to a few updates per second. */
class ProgressTracker {
  private indexingStarted = 0;
  private total = 0;
  private lastEmit = 0;

  constructor(private readonly emit?: (p: IndexProgress) => void) {}

  scanned(count: number, path: string): void {
    const now = Date.now();
    if (now - this.lastEmit < 200) return;
    this.lastEmit = now;
    this.emit?.({
      phase: 'scanning',
      done: count,
      total: 0,
      errors: 0,
      photosPerSecond: 0,
      etaSeconds: null,
      currentFile: path,
    });
  }

  startIndexing(total: number): void {
    this.total = total;
    this.indexingStarted = Date.now();
    this.emit?.({
      phase: 'indexing',
      done: 0,
      total,
      errors: 0,
      photosPerSecond: 0,
      etaSeconds: null,
      currentFile: null,
    });
  }

  indexed(done: number, errors: number, currentFile: string): void {
    const seconds = (Date.now() - this.indexingStarted) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    this.emit?.({
      phase: 'indexing',
      done,
      total: this.total,
      errors,
      photosPerSecond: rate,
      etaSeconds: rate > 0 ? (this.total - done) / rate : null,
      currentFile,
    });
  }

  finish(phase: 'done' | 'cancelled'): void {
    this.emit?.({
      phase,
      done: this.total,
      total: this.total,
      errors: 0,
      photosPerSecond: 0,
      etaSeconds: 0,
      currentFile: null,
    });
  }
}
