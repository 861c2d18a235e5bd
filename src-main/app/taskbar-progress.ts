// Indexing progress on the taskbar button (Windows, Linux Unity) and the dock (macOS): a bar
// while a run goes, and on macOS a badge with the photos still to do, so a long first index can
// be followed with the window in the background. Pure: main.ts applies the result.
import type { AppEvent } from '../shared/contract.ts';

export type IndexingProgressEvent = Extract<AppEvent, { type: 'indexing-progress' }>;
export type ProgressBarMode = 'none' | 'normal' | 'indeterminate' | 'error' | 'paused';

export interface TaskbarProgress {
  /** For BrowserWindow.setProgressBar: 0..1, -1 removes the bar, above 1 is indeterminate. */
  value: number;
  mode: ProgressBarMode;
  /** Dock badge text (macOS); empty removes it. */
  badge: string;
}

const CLEARED: TaskbarProgress = { value: -1, mode: 'none', badge: '' };
const INDETERMINATE_VALUE = 2;

export function taskbarProgress(event: IndexingProgressEvent): TaskbarProgress {
  const { state, progress, error } = event;
  const counted = progress !== null && progress.phase === 'indexing' && progress.total > 0;
  const fraction = counted ? Math.min(1, progress.done / progress.total) : null;
  const badge = counted ? String(Math.max(0, progress.total - progress.done)) : '';
  if (error !== null) return { value: fraction ?? 1, mode: 'error', badge: '' };
  switch (state) {
    case 'idle':
      return CLEARED;
    case 'paused':
      return { value: fraction ?? INDETERMINATE_VALUE, mode: 'paused', badge };
    case 'starting':
    case 'running':
    case 'cancelling':
      // Loading models and scanning folders have no known end yet.
      if (fraction === null) return { value: INDETERMINATE_VALUE, mode: 'indeterminate', badge };
      return { value: fraction, mode: 'normal', badge };
  }
}

export interface ProgressTargets {
  window: { setProgressBar: (value: number, options: { mode: ProgressBarMode }) => void } | null;
  /** `app.dock` on macOS; undefined elsewhere. */
  dock?: { setBadge: (text: string) => void } | undefined;
}

/** Applies an event's progress; repeated identical states are not re-sent. */
export function createTaskbarProgressUpdater(
  targets: () => ProgressTargets,
): (event: AppEvent) => void {
  let last: TaskbarProgress | null = null;
  return (event) => {
    if (event.type !== 'indexing-progress') return;
    const next = taskbarProgress(event);
    if (
      last !== null &&
      last.value === next.value &&
      last.mode === next.mode &&
      last.badge === next.badge
    ) {
      return;
    }
    last = next;
    const { window, dock } = targets();
    window?.setProgressBar(next.value, { mode: next.mode });
    dock?.setBadge(next.badge);
  };
}
