// The one source of truth for what the screens count: every panel (Indexing header, progress
// block, last-run line, library folders, the strip above the grid, the sidebar) renders this
// store, and only this store talks to `getLibraryState`. Events keep it live: progress events
// update the run's state at once, and every progress or library change re-reads the counts
// (one read in flight at a time, one more queued), so no two numbers on screen can disagree.
import type { AppEvent, IndexingStatus, LibraryState } from '../../src-main/shared/contract.ts';
import { errorMessage } from './format.ts';
import { RateWindow } from './rate-window.ts';

type ProgressEvent = Extract<AppEvent, { type: 'indexing-progress' }>;

export class LibraryStore {
  current = $state<LibraryState | null>(null);
  /** Why the last read failed (cleared by the next good one). */
  loadError = $state<string | null>(null);
  /** Why the last run failed, from its final event. */
  runError = $state<string | null>(null);
  /** Photos per second over the last seconds, null until meaningful or when not running. */
  speed = $state<number | null>(null);
  secondsLeft = $state<number | null>(null);

  private readonly rate = new RateWindow();
  private reading = false;
  private readAgain = false;

  get status(): IndexingStatus | null {
    return this.current?.status ?? null;
  }

  /** Starts following the app's events; returns the function that stops it. */
  follow(): () => void {
    this.refresh();
    return window.sightline.subscribe((event) => {
      if (event.type === 'indexing-progress') this.progressed(event);
      else if (event.type === 'library-changed') this.refresh();
      else if (event.type === 'service-state' && event.state === 'running') this.refresh();
    });
  }

  /** Re-reads everything (coalesced: at most one read in flight, one queued behind it). */
  refresh(): void {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    window.sightline
      .getLibraryState()
      .then((next) => {
        this.current = next;
        this.loadError = null;
      })
      .catch((cause: unknown) => (this.loadError = errorMessage(cause)))
      .finally(() => {
        this.reading = false;
        if (this.readAgain) {
          this.readAgain = false;
          this.refresh();
        }
      });
  }

  private progressed(event: ProgressEvent): void {
    if (this.current !== null) {
      this.current.status.state = event.state;
      if (event.progress !== null) this.current.status.progress = event.progress;
    }
    if (event.error !== null) this.runError = event.error;
    else if (event.state === 'starting') this.runError = null;
    this.measure(event);
    this.refresh();
  }

  private measure(event: ProgressEvent): void {
    const progress = event.progress;
    if (event.state !== 'running' || progress === null || progress.phase !== 'indexing') {
      // Paused, loading models, scanning or finished: no speed to speak of, and a resumed run
      // must not average over the pause.
      this.rate.reset();
      this.speed = null;
      this.secondsLeft = null;
      return;
    }
    this.rate.add(performance.now(), progress.done);
    this.speed = this.rate.perSecond();
    this.secondsLeft = this.rate.secondsLeft(progress.total);
  }
}
