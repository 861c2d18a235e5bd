// Indexing speed over the last few seconds (not since the run began, which hides slow-downs and
// counts the model loading), and the time left at that speed. Both stay null until the window
// holds enough to mean something, so the screen shows nothing rather than "0.0 photos/s".

export interface RateWindowOptions {
  /** Samples older than this are dropped. */
  windowMs: number;
  /** The window must span at least this long… */
  minSpanMs: number;
  /** …and hold at least this many samples. */
  minSamples: number;
}

export const DEFAULT_RATE_WINDOW: RateWindowOptions = {
  windowMs: 20_000,
  minSpanMs: 2_000,
  minSamples: 3,
};

interface Sample {
  atMs: number;
  done: number;
}

export class RateWindow {
  private samples: Sample[] = [];

  constructor(private readonly options: RateWindowOptions = DEFAULT_RATE_WINDOW) {}

  /** A progress report: `done` items finished at `atMs`. A smaller `done` starts over. */
  add(atMs: number, done: number): void {
    const last = this.samples.at(-1);
    if (last !== undefined && (done < last.done || atMs < last.atMs)) this.samples = [];
    this.samples.push({ atMs, done });
    const oldest = atMs - this.options.windowMs;
    // Keep one sample at or before the window's start so the span covers the whole window.
    while (this.samples.length > 2 && this.samples[1]!.atMs <= oldest) this.samples.shift();
  }

  reset(): void {
    this.samples = [];
  }

  /** Items per second over the window, or null while that is not yet meaningful. */
  perSecond(): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (first === undefined || last === undefined) return null;
    if (this.samples.length < this.options.minSamples) return null;
    const spanMs = last.atMs - first.atMs;
    if (spanMs < this.options.minSpanMs) return null;
    const items = last.done - first.done;
    return items > 0 ? (items * 1000) / spanMs : null;
  }

  /** Seconds until `total` at the current speed, or null when the speed is not known. */
  secondsLeft(total: number): number | null {
    const rate = this.perSecond();
    const last = this.samples.at(-1);
    if (rate === null || last === undefined) return null;
    return Math.max(0, total - last.done) / rate;
  }
}
