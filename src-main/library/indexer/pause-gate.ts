/** Pause / resume / cancel for a long-running loop: the loop awaits `wait()` between batches. */
export class PauseGate {
  private paused = false;
  private cancelRequested = false;
  private waiters: (() => void)[] = [];

  get cancelled(): boolean {
    return this.cancelRequested;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.release();
  }

  cancel(): void {
    this.cancelRequested = true;
    this.release();
  }

  /** Resolves true to go on, false once cancelled; blocks while paused. */
  async wait(): Promise<boolean> {
    while (this.paused && !this.cancelRequested) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return !this.cancelRequested;
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
