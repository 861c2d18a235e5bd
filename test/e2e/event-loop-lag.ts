// Event-loop lag of THIS process while `work` runs. In the e2e suite this process stands in for
// Electron main (it only relays between the page and the core's child process), so this is the
// figure the "main process stays responsive while indexing" requirement is about. The child's
// own loop cannot be observed from here and is not reported.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 10;

/** Delay beyond the sampling timer's own interval (an idle loop reads ~0), in milliseconds. */
export interface LagFigures {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
}

/** Measures the event loop's delay for as long as `work` runs. */
export async function measureEventLoopLag<T>(
  work: () => Promise<T>,
): Promise<{ result: T; lag: LagFigures }> {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  try {
    const result = await work();
    return { result, lag: figures(histogram) };
  } finally {
    histogram.disable();
  }
}

function figures(histogram: ReturnType<typeof monitorEventLoopDelay>): LagFigures {
  // The histogram records whole timer intervals, so an idle loop reads RESOLUTION_MS.
  const ms = (nanoseconds: number): number =>
    Math.max(0, Math.round(nanoseconds / 1e4 - RESOLUTION_MS * 100) / 100);
  return {
    p50Ms: ms(histogram.percentile(50)),
    p99Ms: ms(histogram.percentile(99)),
    maxMs: ms(histogram.max),
    samples: histogram.count,
  };
}

/** Writes the figures as JSON (for CI artifacts and comparisons across runs). */
export function writeLagReport(path: string, subject: string, lag: LagFigures): void {
  mkdirSync(dirname(path), { recursive: true });
  const report = {
    subject,
    resolutionMs: RESOLUTION_MS,
    ...lag,
    measuredAt: new Date().toISOString(),
  };
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
