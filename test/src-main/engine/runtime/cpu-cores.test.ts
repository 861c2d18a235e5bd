import { describe, expect, it } from 'vitest';
import {
  physicalCoreCount,
  physicalCoresFromCpuinfo,
} from '../../../../src-main/engine/runtime/cpu-cores.ts';

const processor = (index: number, socket: number, core: number): string =>
  `processor\t: ${index}\nvendor_id\t: AuthenticAMD\nphysical id\t: ${socket}\ncore id\t\t: ${core}\nflags\t\t: avx512f\n`;

describe('physical cores', () => {
  it('counts cores, not hardware threads, across sockets', () => {
    // 2 sockets × 2 cores × 2 hardware threads.
    const smt = [0, 1, 2, 3, 4, 5, 6, 7]
      .map((i) => processor(i, Math.floor(i / 4), Math.floor(i / 2) % 2))
      .join('\n');
    expect(physicalCoresFromCpuinfo(smt)).toBe(4);
    expect(physicalCoresFromCpuinfo([0, 1].map((i) => processor(i, 0, i)).join('\n'))).toBe(2);
  });

  it('says nothing when cpuinfo has no core ids', () => {
    expect(physicalCoresFromCpuinfo('processor\t: 0\nBogoMIPS\t: 50.00\n')).toBeUndefined();
  });

  it('uses at least one and at most the available cores', () => {
    const count = physicalCoreCount();
    expect(count).toBeGreaterThanOrEqual(1);
    expect(Number.isInteger(count)).toBe(true);
  });
});
