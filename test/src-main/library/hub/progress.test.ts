import { describe, expect, it } from 'vitest';
import { ProgressTracker, type PullProgress } from '../../../../src-main/library/hub/progress.ts';

describe('ProgressTracker', () => {
  it('totals bytes, smooths the network rate and derives the ETA', () => {
    let now = 0;
    const events: PullProgress[] = [];
    const tracker = new ProgressTracker(
      'org/repo',
      [
        { file: 'a', size: 1000 },
        { file: 'b', size: 3000 },
      ],
      (p) => events.push(p),
      () => now,
    );
    // 400 bytes were already on disk (a resumed file): done, but not network throughput.
    tracker.bytes('a', 400);
    now = 1000;
    tracker.bytes('a', 500); // +100 B in 1 s
    const first = tracker.snapshot();
    expect(first.doneBytes).toBe(500);
    expect(first.bytesPerSecond).toBeCloseTo(100);
    tracker.bytes('b', 0);
    now = 2000;
    tracker.bytes('b', 300); // +300 B in the next second
    const second = tracker.snapshot();
    expect(second.bytesPerSecond).toBeCloseTo(100 + 0.3 * (300 - 100));
    expect(second.etaSeconds).toBeCloseTo((4000 - 800) / second.bytesPerSecond);
    expect(second.files.map((f) => f.state)).toEqual(['downloading', 'downloading']);
    tracker.state('a', 'done');
    tracker.state('b', 'from-cache');
    const end = events.at(-1)!;
    expect(end.doneBytes).toBe(4000);
    expect(end.etaSeconds).toBe(0);
  });
});
