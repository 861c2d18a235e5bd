import {
  existsSync,
  readFileSync,
  readdirSync,
  statSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { join } from 'node:path';

export const GIB = 1024 ** 3;
export const MIB = 1024 ** 2;

export function cpuModel(): string {
  return cpus()[0]?.model.trim() ?? 'unknown CPU';
}

/** MemAvailable (what can be allocated without swapping), falling back to free memory. */
export function availableMemoryBytes(): number {
  const match = existsSync('/proc/meminfo')
    ? /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))
    : null;
  return match ? Number(match[1]) * 1024 : freemem();
}

export function totalMemoryBytes(): number {
  return totalmem();
}

export function freeDiskBytes(dir: string): number {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

export function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(path) : statSync(path).size;
  }
  return total;
}

/**
 * Peak resident memory of this process since the last reset. On Linux, writing 5 to clear_refs
 * resets VmHWM, so each stage reports its own peak; elsewhere this is the lifetime peak.
 */
export class PeakRss {
  private readonly resettable: boolean;

  constructor() {
    this.resettable = existsSync('/proc/self/clear_refs') && existsSync('/proc/self/status');
  }

  reset(): void {
    if (!this.resettable) return;
    try {
      writeFileSync('/proc/self/clear_refs', '5');
    } catch {
      // Not permitted (some containers): fall back to the lifetime peak.
    }
  }

  megabytes(): number {
    if (this.resettable) {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
      if (match) return Number(match[1]) / 1024;
    }
    return process.resourceUsage().maxRSS / 1024;
  }
}
