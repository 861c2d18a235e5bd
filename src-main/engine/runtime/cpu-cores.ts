import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * Physical cores in a Linux /proc/cpuinfo: distinct (physical id, core id) pairs. Two hardware
 * threads of one core share its vector units, so a compute-bound operator gains nothing from the
 * second one and loses to the contention. Undefined when the file does not say (e.g. some ARM).
 */
export function physicalCoresFromCpuinfo(cpuinfo: string): number | undefined {
  const cores = new Set<string>();
  for (const block of cpuinfo.split(/\n\s*\n/)) {
    const field = (name: string): string | undefined =>
      new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(block)?.[1]?.trim();
    const core = field('core id');
    if (core !== undefined) cores.add(`${field('physical id') ?? '0'}:${core}`);
  }
  return cores.size > 0 ? cores.size : undefined;
}

let cached: number | undefined;

/** Threads per operator when the user asks for none in particular: one per physical core. */
export function physicalCoreCount(): number {
  if (cached !== undefined) return cached;
  let counted: number | undefined;
  try {
    counted = physicalCoresFromCpuinfo(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    counted = undefined; // not Linux
  }
  cached = Math.max(1, Math.min(counted ?? availableParallelism(), availableParallelism()));
  return cached;
}
