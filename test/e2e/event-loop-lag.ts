// Event-loop lag of THIS process while something runs in it (here: the service's indexing).
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
