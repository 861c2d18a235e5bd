import { describe, expect, it } from 'vitest';
import {
  createTaskbarProgressUpdater,
  taskbarProgress,
  type IndexingProgressEvent,
  type ProgressBarMode,
} from '../../../src-main/app/taskbar-progress.ts';
import type { AppEvent, IndexProgress } from '../../../src-main/shared/contract.ts';

function progress(phase: IndexProgress['phase'], done: number, total: number): IndexProgress {
  return { phase, done, total, errors: 0, photosPerSecond: 1, etaSeconds: null, currentFile: null };
}

function event(
  state: IndexingProgressEvent['state'],
  report: IndexProgress | null,
  error: string | null = null,
): IndexingProgressEvent {
  return { type: 'indexing-progress', state, progress: report, error };
}

describe('taskbarProgress', () => {
  it('shows the fraction done and the photos left while indexing', () => {
    expect(taskbarProgress(event('running', progress('indexing', 30, 120)))).toEqual({
      value: 0.25,
      mode: 'normal',
      badge: '90',
    });
  });

  it('is indeterminate while models load or folders are scanned', () => {
    for (const current of [
      event('starting', null),
      event('running', progress('scanning', 0, 0)),
      event('running', progress('indexing', 0, 0)),
    ]) {
      const shown = taskbarProgress(current);
      expect(shown.mode).toBe('indeterminate');
      expect(shown.value).toBeGreaterThan(1);
      expect(shown.badge).toBe('');
    }
  });

  it('marks a paused run, keeping its fraction and badge', () => {
    expect(taskbarProgress(event('paused', progress('indexing', 1, 4)))).toEqual({
      value: 0.25,
      mode: 'paused',
      badge: '3',
    });
  });

  it('marks a failed run in red, without a badge', () => {
    expect(taskbarProgress(event('running', progress('indexing', 1, 2), 'disk full'))).toEqual({
      value: 0.5,
      mode: 'error',
      badge: '',
    });
    expect(taskbarProgress(event('idle', null, 'model missing'))).toMatchObject({ mode: 'error' });
  });

  it('removes the bar and the badge when idle', () => {
    for (const current of [
      event('idle', null),
      event('idle', progress('done', 120, 120)),
      event('idle', progress('cancelled', 5, 120)),
    ]) {
      expect(taskbarProgress(current)).toEqual({ value: -1, mode: 'none', badge: '' });
    }
  });
});

describe('createTaskbarProgressUpdater', () => {
  it('applies indexing events to the window and the dock, skipping repeats and other events', () => {
    const bars: [number, ProgressBarMode][] = [];
    const badges: string[] = [];
    const update = createTaskbarProgressUpdater(() => ({
      window: { setProgressBar: (value, options) => bars.push([value, options.mode]) },
      dock: { setBadge: (text) => badges.push(text) },
    }));
    const other: AppEvent = { type: 'library-changed', reason: 'indexing', photoIds: null };
    update(event('running', progress('indexing', 1, 2)));
    update(event('running', progress('indexing', 1, 2)));
    update(other);
    update(event('idle', progress('done', 2, 2)));
    expect(bars).toEqual([
      [0.5, 'normal'],
      [-1, 'none'],
    ]);
    expect(badges).toEqual(['1', '']);
  });

  it('works without a window or a dock', () => {
    const update = createTaskbarProgressUpdater(() => ({ window: null }));
    expect(() => update(event('running', progress('indexing', 1, 2)))).not.toThrow();
  });
});
