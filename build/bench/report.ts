import type { StageReport, StepResult } from './stage-runner.ts';
import { GIB } from './system.ts';

export interface BenchReport {
  scale: string;
  threads: number;
  reps: number;
  cpu: string;
  cores: number;
  memoryGiB: number;
  versions: Record<string, string>;
  /** Why the PyTorch side did not run, when it did not. */
  referenceSkipped: string | null;
  stages: (StepResult & {
    ortMedianMs: number;
    torchMedianMs: number | null;
    ratio: number | null;
    parity: boolean | null;
  })[];
  memory: { stage: string; ortPeakRssMb: number; torchPeakRssMb: number | null }[];
  peakDiskBytes: number;
  totalSeconds: number;
}

/** A parity check at full size: fp32 on both sides, so only summation order differs. */
export function withinTolerance(diff: number, maxAbsReference: number): boolean {
  return diff <= 1e-3 * Math.max(1, maxAbsReference);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(
  stages: readonly StageReport[],
): Pick<BenchReport, 'stages' | 'memory' | 'peakDiskBytes'> {
  return {
    stages: stages.flatMap((s) =>
      s.steps.map((step) => {
        const ortMedianMs = median(step.ortMs);
        const torchMedianMs = step.torchMs ? median(step.torchMs) : null;
        const parity =
          step.maxAbsDiff === null
            ? null
            : withinTolerance(step.maxAbsDiff, step.maxAbsReference ?? 0);
        return {
          ...step,
          ortMedianMs,
          torchMedianMs,
          ratio: torchMedianMs === null ? null : torchMedianMs / ortMedianMs,
          parity,
        };
      }),
    ),
    memory: stages.map((s) => ({
      stage: s.name,
      ortPeakRssMb: s.ortPeakRssMb,
      torchPeakRssMb: s.torchPeakRssMb,
    })),
    peakDiskBytes: Math.max(0, ...stages.map((s) => s.diskBytes)),
  };
}

export function formatReport(report: BenchReport): string {
  const fixed = (v: number | null, digits: number): string =>
    v === null ? '-' : v.toFixed(digits);
  const sci = (v: number | null): string => (v === null ? '-' : v.toExponential(2));
  const rows = [
    [
      'stage',
      'ORT median ms',
      'torch median ms',
      'torch/ORT',
      'max abs diff',
      'max |ref|',
      'parity',
      'mode',
    ],
    ...report.stages.map((s) => [
      s.stage,
      fixed(s.ortMedianMs, 1),
      fixed(s.torchMedianMs, 1),
      fixed(s.ratio, 2),
      sci(s.maxAbsDiff),
      fixed(s.maxAbsReference, 2),
      s.parity === null ? (s.ortOutputFinite ? 'n/a' : 'NON-FINITE') : s.parity ? 'ok' : 'FAIL',
      s.mode,
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string =>
    `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  const versions = Object.entries(report.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const memory = report.memory
    .map(
      (m) =>
        `${m.stage} ORT ${m.ortPeakRssMb.toFixed(0)} MB / torch ${m.torchPeakRssMb === null ? '-' : `${m.torchPeakRssMb.toFixed(0)} MB`}`,
    )
    .join('; ');
  return [
    `BLIP-2 engine bench (${report.scale} scale, random weights): ${report.threads} threads, ${report.reps} timed repetitions after 1 warm-up`,
    `CPU: ${report.cpu} (${report.cores} logical cores), ${report.memoryGiB.toFixed(1)} GiB RAM`,
    `versions: ${versions}`,
    ...(report.referenceSkipped ? [`PyTorch reference skipped: ${report.referenceSkipped}`] : []),
    '',
    line(rows[0]!),
    rule,
    ...rows.slice(1).map(line),
    '',
    `peak RSS: ${memory}`,
    `peak disk: ${(report.peakDiskBytes / GIB).toFixed(2)} GiB, total time ${(report.totalSeconds / 60).toFixed(1)} min`,
  ].join('\n');
}
