import cliProgress from 'cli-progress';
import { formatBytes } from '../library/hub/disk.ts';

export { formatBytes };

/** Machine output goes to stdout; everything for people (progress, provider notes) to stderr. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function note(message: string): void {
  process.stderr.write(`sightline: ${message}\n`);
}

export interface ProgressBar {
  update(done: number, total: number, label: string): void;
  stop(): void;
}

/** A byte progress bar on stderr when it is a terminal; periodic plain lines otherwise. */
export function byteProgress(title: string): ProgressBar {
  if (!process.stderr.isTTY) {
    let lastPercent = -10;
    return {
      update(done, total, label) {
        const percent = total > 0 ? Math.floor((100 * done) / total) : 0;
        if (percent >= lastPercent + 10) {
          lastPercent = percent;
          note(`${title}: ${percent}% (${formatBytes(done)} of ${formatBytes(total)}) ${label}`);
        }
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${title} [{bar}] {percentage}% | {doneBytes}/{totalBytes} | ETA {eta_formatted} | {label}`,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, label) {
      const payload = { doneBytes: formatBytes(done), totalBytes: formatBytes(total), label };
      if (!started) {
        bar.start(total, done, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(done, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
