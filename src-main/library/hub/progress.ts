/** Where a pull stands, reported while it runs. */
export interface FileProgress {
  file: string;
  size: number;
  done: number;
  state: 'queued' | 'downloading' | 'verifying' | 'done' | 'from-cache';
}

export interface PullProgress {
  repoId: string;
  totalBytes: number;
  doneBytes: number;
  /** Network throughput, smoothed (exponential moving average); 0 until measured. */
  bytesPerSecond: number;
  /** Seconds left at the smoothed rate; null until a rate is known. */
  etaSeconds: number | null;
  files: FileProgress[];
}

const SAMPLE_MS = 250;
const SMOOTHING = 0.3;

/**
 * Adds per-file byte counts into totals, rate and ETA. Bytes a file already had on disk (a resumed
 * download, a cached copy) count as done but not toward the rate, which measures the network.
 */
export class ProgressTracker {
  private readonly files = new Map<string, FileProgress>();
  private readonly started = new Set<string>();
  private transferred = 0;
  private rate = 0;
  private lastSample: { at: number; transferred: number };
  private lastEmit = -Infinity;

  constructor(
    private readonly repoId: string,
    files: readonly { file: string; size: number }[],
    private readonly emit: ((p: PullProgress) => void) | undefined,
    private readonly now: () => number = Date.now,
  ) {
    for (const f of files) this.files.set(f.file, { ...f, done: 0, state: 'queued' });
    this.lastSample = { at: now(), transferred: 0 };
  }

  bytes(file: string, done: number): void {
    const entry = this.files.get(file);
    if (!entry) return;
    if (!this.started.has(file)) {
      this.started.add(file); // the first count is what was already on disk
    } else if (done > entry.done) {
      this.transferred += done - entry.done;
    }
    entry.done = done;
    if (entry.state === 'queued') entry.state = 'downloading';
    this.report(false);
  }

  state(file: string, state: FileProgress['state']): void {
    const entry = this.files.get(file);
    if (!entry) return;
    entry.state = state;
    if (state === 'done' || state === 'from-cache') entry.done = entry.size;
    this.report(true);
  }

  snapshot(): PullProgress {
    const files = [...this.files.values()].map((f) => ({ ...f }));
    const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
    const doneBytes = files.reduce((sum, f) => sum + Math.min(f.done, f.size), 0);
    const left = totalBytes - doneBytes;
    return {
      repoId: this.repoId,
      totalBytes,
      doneBytes,
      bytesPerSecond: this.rate,
      etaSeconds: left === 0 ? 0 : this.rate > 0 ? left / this.rate : null,
      files,
    };
  }

  private report(force: boolean): void {
    const at = this.now();
    const elapsed = at - this.lastSample.at;
    if (elapsed >= SAMPLE_MS) {
      const instant = ((this.transferred - this.lastSample.transferred) * 1000) / elapsed;
      this.rate = this.rate === 0 ? instant : this.rate + SMOOTHING * (instant - this.rate);
      this.lastSample = { at, transferred: this.transferred };
    }
    // Bounded callback rate: a multi-GB file arrives in hundreds of thousands of chunks.
    if (force || at - this.lastEmit >= 100) {
      this.lastEmit = at;
      this.emit?.(this.snapshot());
    }
  }
}
