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

/** The ISA extensions that decide which kernels (and which PyTorch baseline) a CPU gets. */
export interface CpuFeatures {
  model: string;
  avx512: boolean;
  vnni: boolean;
  avx512bf16: boolean;
  amx: boolean;
  /** The relevant /proc/cpuinfo flags as listed there (avx512*, avx_vnni, amx*). */
  flags: string[];
}

export function cpuFeatures(): CpuFeatures {
  const info = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const flagLine = /^flags\s*:\s*(.*)$/m.exec(info)?.[1] ?? '';
  const all = new Set(flagLine.split(/\s+/).filter(Boolean));
  const flags = [...all].filter((f) => /^(avx512|avx_vnni|amx)/.test(f)).sort();
  return {
    model: /^model name\s*:\s*(.*)$/m.exec(info)?.[1]?.trim() ?? cpuModel(),
    avx512: all.has('avx512f'),
    vnni: all.has('avx512_vnni') || all.has('avx_vnni'),
    avx512bf16: all.has('avx512_bf16'),
    amx: all.has('amx_bf16') || all.has('amx_tile'),
    flags,
  };
}

/** One line for a report's head: model and what matters of its ISA. */
export function describeCpu(cpu: CpuFeatures): string {
  const yes = (v: boolean): string => (v ? 'yes' : 'no');
  return (
    `${cpu.model}: AVX-512 ${yes(cpu.avx512)}, VNNI ${yes(cpu.vnni)}, AVX512-BF16 ${yes(cpu.avx512bf16)}, AMX ${yes(cpu.amx)}` +
    ` [${cpu.flags.join(' ') || 'no AVX-512/AMX flags'}]`
  );
}
