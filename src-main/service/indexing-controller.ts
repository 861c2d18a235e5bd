import type { LibraryDatabase } from '../library/db/database.ts';
import type { InferenceOptions } from '../library/indexer/inference.ts';
import { Indexer, type IndexProgress, type RootSpec } from '../library/indexer/indexer.ts';
import { DecodePool } from '../library/media/decode-pool.ts';
import { libraryStatus } from '../library/queries/library-queries.ts';
import type { AppEvent } from '../shared/app-events.ts';
import { AppError } from '../shared/app-error.ts';
import type { IndexingState, IndexingStatus, IndexRun } from '../shared/app-schemas.ts';
import type { ModelHost } from './model-host.ts';

export interface IndexingSettings {
  batchSize?: number;
  /** Decoding worker threads (default: cores - 1). */
  workers?: number;
  inference?: Partial<InferenceOptions>;
}

export interface IndexingControllerOptions {
  db: LibraryDatabase;
  models: ModelHost;
  thumbnailDir: string;
  settings: IndexingSettings;
  emit: (event: AppEvent) => void;
  /** After each committed batch (the search index is refreshed lazily from this). */
  onPhotosChanged: (photoIds: readonly number[]) => void;
}

/**
 * One indexing run at a time, in the background, with pause / resume / cancel. The models load
 * on the first run (state `starting`); a cancel during that load is honoured before any file.
 */
export class IndexingController {
  private state: IndexingState = 'idle';
  private progress: IndexProgress | null = null;
  private lastRun: IndexRun | null = null;
  private indexer: Indexer | null = null;
  private pool: DecodePool | null = null;
  private running: Promise<void> | null = null;
  private cancelBeforeStart = false;
  private pauseBeforeStart = false;

  constructor(private readonly options: IndexingControllerOptions) {}

  get busy(): boolean {
    return this.state !== 'idle';
  }

  status(): IndexingStatus {
    return {
      ...libraryStatus(this.options.db),
      state: this.state,
      progress: this.progress,
      lastRun: this.lastRun,
    };
  }

  /** Starts a run over the given roots unless one is going; returns at once. */
  start(roots: readonly RootSpec[]): void {
    if (this.running) return;
    if (roots.length === 0) {
      throw new AppError('invalid-request', 'no library folders to index: add a folder first');
    }
    this.cancelBeforeStart = false;
    this.pauseBeforeStart = false;
    this.setState('starting');
    this.running = this.run(roots).finally(() => {
      this.running = null;
      this.indexer = null;
    });
  }

  pause(): void {
    if (this.state === 'running') {
      this.indexer?.pause();
      this.setState('paused');
    } else if (this.state === 'starting') {
      this.pauseBeforeStart = true;
      this.setState('paused');
    }
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.pauseBeforeStart = false;
    this.indexer?.resume();
    this.setState(this.indexer ? 'running' : 'starting');
  }

  cancel(): void {
    if (this.state === 'idle' || this.state === 'cancelling') return;
    this.cancelBeforeStart = true;
    // cancel() also releases a paused loop, which then stops before its next batch.
    this.indexer?.cancel();
    this.setState('cancelling');
  }

  /** Resolves when the current run (if any) has finished. */
  async settled(): Promise<void> {
    await this.running;
  }

  private async run(roots: readonly RootSpec[]): Promise<void> {
    try {
      const [captioner, retrieval] = await Promise.all([
        this.options.models.captioner(),
        this.options.models.retrieval(),
      ]);
      if (this.cancelBeforeStart) {
        this.finish({ state: 'cancelled', scanned: 0, analysed: 0, linked: 0, errors: 0 }, null);
        return;
      }
      const { settings } = this.options;
      this.pool ??= new DecodePool(
        settings.workers === undefined ? {} : { size: settings.workers },
      );
      const indexer = new Indexer({
        db: this.options.db,
        captioner,
        retrieval,
        pool: this.pool,
        thumbnailDir: this.options.thumbnailDir,
        ...(settings.batchSize !== undefined ? { batchSize: settings.batchSize } : {}),
        ...(settings.inference ? { inference: settings.inference } : {}),
        onProgress: (p) => {
          this.progress = p;
          this.emitProgress(null);
        },
        onBatchCommitted: (photoIds) => {
          this.options.onPhotosChanged(photoIds);
          this.options.emit({
            type: 'library-changed',
            reason: 'indexing',
            photoIds: [...photoIds],
          });
        },
      });
      this.indexer = indexer;
      if (this.pauseBeforeStart) indexer.pause();
      else this.setState('running');
      const report = await indexer.run(roots);
      this.finish(report, null);
    } catch (caught) {
      const error = caught instanceof Error ? caught.message : String(caught);
      this.finish({ state: 'failed', scanned: 0, analysed: 0, linked: 0, errors: 0 }, error);
    }
  }

  private finish(
    report: Pick<IndexRun, 'state' | 'scanned' | 'analysed' | 'linked' | 'errors'>,
    error: string | null,
  ): void {
    this.lastRun = {
      state: report.state,
      finishedAt: Date.now(),
      scanned: report.scanned,
      analysed: report.analysed,
      linked: report.linked,
      errors: report.errors,
      message: error,
    };
    this.state = 'idle';
    this.emitProgress(error);
  }

  private setState(state: IndexingState): void {
    this.state = state;
    this.emitProgress(null);
  }

  private emitProgress(error: string | null): void {
    this.options.emit({
      type: 'indexing-progress',
      state: this.state,
      progress: this.progress,
      error,
    });
  }

  async close(): Promise<void> {
    this.cancel();
    await this.settled();
    await this.pool?.close();
    this.pool = null;
  }
}
