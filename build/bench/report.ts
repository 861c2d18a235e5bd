import type { GraphFormat, Precision } from '../../native-models/builder/precision.ts';
import { formatKey } from './our-graphs.ts';
import type { StageResult } from './stage-runner.ts';
import { describeCpu, MIB, type CpuFeatures } from './system.ts';
import type { FloatArray } from './tensor-bundle.ts';

export interface Agreement {
  /** What the output was compared with: the fp32 PyTorch output, else our fp32 graph's. */
  against: string;
  maxAbsDiff: number;
  maxAbsReference: number;
  cosine: number;
}

export interface BaselineCell {
  medianMs: number;
  /** Baseline median ÷ our median, both from the runs of the same pairing (>1: we are faster). */
  ratio: number | null;
  mode: 'interleaved' | 'sequential' | null;
}

/** One stage step at one of our precisions, against every baseline measured. */
export interface BenchRow {
  stage: string;
  step: string;
  rows: number;
  precision: Precision;
  format: GraphFormat;
  /** Another precision whose graph this row shares (e.g. int8's Q-Former is the fp32 graph). */
  sameGraphAs: Precision | null;
  unavailable: string | null;
  oursMs: number[];
  oursMedianMs: number | null;
  baselines: Record<string, BaselineCell>;
  /** The fastest baseline measured on this step. */
  best: { baseline: string; medianMs: number; ratio: number | null } | null;
  agreement: Agreement | null;
  /** fp32 only: within the fp32 tolerance of the fp32 PyTorch output. */
  parity: boolean | null;
  outputFinite: boolean | null;
  oursPeakRssMb: number | null;
  diskBytes: number;
  weightBytes: number;
  /** Decode steps: our median ÷ (weight bytes ÷ read bandwidth); 1 is the memory-bound floor. */
  overBandwidthFloor: number | null;
  ops: Record<string, number>;
}

export interface BaselineRow {
  stage: string;
  step: string;
  baseline: string;
  medianMs: number;
  ms: number[];
  peakRssMb: number | null;
  agreement: Agreement | null;
}

export interface BenchReport {
  scale: string;
  threads: number;
  reps: number;
  cpu: CpuFeatures;
  cores: number;
  memoryGiB: number;
  versions: Record<string, string>;
  /** Read bandwidth measured in this run (bytes/s), per tool, and the one used for floors. */
  bandwidth: { onnxruntime: number; torch: number | null; used: number; how: string };
  precisions: Precision[];
  baselines: string[];
  /** Baselines that did not run (anywhere, or on some stage), and why. */
  baselinesUnavailable: Record<string, string>;
  rows: BenchRow[];
  baselineRows: BaselineRow[];
  totalSeconds: number;
}

/** fp32 on both sides: only summation order differs. */
export function withinTolerance(diff: number, maxAbsReference: number): boolean {
  return diff <= 1e-3 * Math.max(1, maxAbsReference);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function agreement(output: FloatArray, reference: FloatArray, against: string): Agreement {
  if (output.dims.join() !== reference.dims.join()) {
    throw new Error(
      `output shape [${output.dims.join(', ')}] differs from ${against}'s [${reference.dims.join(', ')}]`,
    );
  }
  let diff = 0;
  let scale = 0;
  let dot = 0;
  let a2 = 0;
  let b2 = 0;
  for (let i = 0; i < output.data.length; i++) {
    const a = output.data[i]!;
    const b = reference.data[i]!;
    diff = Math.max(diff, Math.abs(a - b));
    scale = Math.max(scale, Math.abs(b));
    dot += a * b;
    a2 += a * a;
    b2 += b * b;
  }
  return { against, maxAbsDiff: diff, maxAbsReference: scale, cosine: dot / Math.sqrt(a2 * b2) };
}

/** The fp32 PyTorch side whose output is the accuracy reference, by preference. */
const TRUTH_BASELINES = ['HF fp32', 'reference fp32'];

export function summarizeStages(
  stages: readonly StageResult[],
  precisions: readonly Precision[],
  bandwidth: number,
): Pick<BenchReport, 'rows' | 'baselineRows'> {
  const rows: BenchRow[] = [];
  const baselineRows: BaselineRow[] = [];
  for (const stage of stages) {
    for (const step of stage.steps) {
      const truthName = TRUTH_BASELINES.find((n) => step.baselines[n]?.output);
      const fp32Graph = stage.graphs.find((g) => g.precisions.includes('fp32'));
      const fp32Output = fp32Graph ? step.graphs[formatKey(fp32Graph.format)]?.output : undefined;
      const truth = truthName
        ? { output: step.baselines[truthName]!.output!, name: truthName }
        : fp32Output
          ? { output: fp32Output, name: 'ours fp32' }
          : null;
      const baselineMedians = Object.entries(step.baselines)
        .filter(([, b]) => b.ms.length > 0)
        .map(([name, b]) => ({ name, medianMs: median(b.ms) }));
      for (const [name, b] of Object.entries(step.baselines)) {
        if (b.ms.length === 0) continue;
        baselineRows.push({
          stage: stage.name,
          step: step.label,
          baseline: name,
          medianMs: median(b.ms),
          ms: b.ms,
          peakRssMb: stage.baselinePeakRssMb[name] ?? null,
          agreement:
            truth && b.output && truth.name !== name
              ? agreement(b.output, truth.output, truth.name)
              : null,
        });
      }
      for (const precision of precisions) {
        const graph = stage.graphs.find((g) => g.precisions.includes(precision))!;
        const result = step.graphs[formatKey(graph.format)];
        const first = graph.precisions[0]!;
        const oursMedianMs = result && result.oursMs.length > 0 ? median(result.oursMs) : null;
        const baselines: Record<string, BaselineCell> = {};
        for (const { name, medianMs } of baselineMedians) {
          const pairings = result?.pairings.filter((p) => p.baseline === name) ?? [];
          const oursMs = pairings.flatMap((p) => p.oursMs);
          const theirMs = pairings.flatMap((p) => p.baselineMs);
          baselines[name] = {
            medianMs,
            ratio: oursMs.length > 0 ? median(theirMs) / median(oursMs) : null,
            mode: pairings[0]?.mode ?? null,
          };
        }
        const bestName = baselineMedians.sort((a, b) => a.medianMs - b.medianMs)[0];
        const rowAgreement =
          result?.output && truth && !(truth.name === 'ours fp32' && precision === 'fp32')
            ? agreement(result.output, truth.output, truth.name)
            : null;
        rows.push({
          stage: stage.name,
          step: step.label,
          rows: step.rows,
          precision,
          format: graph.format,
          sameGraphAs: first !== precision ? first : null,
          unavailable: graph.unavailable,
          oursMs: result?.oursMs ?? [],
          oursMedianMs,
          baselines,
          best: bestName
            ? {
                baseline: bestName.name,
                medianMs: bestName.medianMs,
                ratio: baselines[bestName.name]!.ratio,
              }
            : null,
          agreement: rowAgreement,
          parity:
            precision === 'fp32' && rowAgreement && truth?.name !== 'ours fp32'
              ? withinTolerance(rowAgreement.maxAbsDiff, rowAgreement.maxAbsReference)
              : null,
          outputFinite: result?.output ? result.output.data.every(Number.isFinite) : null,
          oursPeakRssMb: graph.peakRssMb,
          diskBytes: graph.diskBytes,
          weightBytes: graph.weightBytes,
          overBandwidthFloor:
            step.weightBound && oursMedianMs !== null
              ? oursMedianMs / ((graph.weightBytes / bandwidth) * 1000)
              : null,
          ops: graph.ops,
        });
      }
    }
  }
  return { rows, baselineRows };
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string =>
    `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  return [
    line(rows[0]!),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ];
}

const fixed = (v: number | null | undefined, digits: number): string =>
  v === null || v === undefined ? '-' : v.toFixed(digits);
const sci = (v: number | null | undefined): string =>
  v === null || v === undefined ? '-' : v.toExponential(2);
const mb = (bytes: number): string => (bytes / MIB).toFixed(bytes < 10 * MIB ? 2 : 0);

export function formatReport(report: BenchReport): string {
  const baselines = report.baselines;
  const head = [
    `BLIP-2 engine bench (${report.scale} scale, random weights): ${report.threads} threads, ${report.reps} timed repetitions after 1 warm-up`,
    `CPU: ${describeCpu(report.cpu)}`,
    `${report.cores} logical cores, ${report.memoryGiB.toFixed(1)} GiB RAM; read bandwidth ${(report.bandwidth.used / 1e9).toFixed(1)} GB/s ` +
      `(onnxruntime ${(report.bandwidth.onnxruntime / 1e9).toFixed(1)}, torch ${report.bandwidth.torch === null ? '-' : (report.bandwidth.torch / 1e9).toFixed(1)}; ${report.bandwidth.how})`,
    `versions: ${Object.entries(report.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    ...Object.entries(report.baselinesUnavailable).map(
      ([name, why]) => `${name} not measured: ${why}`,
    ),
  ];
  const timing = table([
    [
      'stage',
      'precision',
      'ours ms',
      ...baselines.map((b) => `${b} ms`),
      'best PyTorch',
      'best/ours',
      'vs floor',
      'cosine',
      'max abs diff',
      'parity',
    ],
    ...report.rows.map((r) => [
      r.step,
      r.precision + (r.sameGraphAs ? ` (=${r.sameGraphAs})` : ''),
      r.unavailable ? 'unavailable' : fixed(r.oursMedianMs, 1),
      ...baselines.map((b) => fixed(r.baselines[b]?.medianMs, 1)),
      r.best?.baseline ?? '-',
      fixed(r.best?.ratio, 2),
      r.overBandwidthFloor === null ? '-' : `${r.overBandwidthFloor.toFixed(2)}×`,
      r.agreement ? r.agreement.cosine.toFixed(6) : '-',
      sci(r.agreement?.maxAbsDiff),
      r.parity === null
        ? r.outputFinite === false
          ? 'NON-FINITE'
          : 'n/a'
        : r.parity
          ? 'ok'
          : 'FAIL',
    ]),
  ]);
  const unavailable = [
    ...new Set(
      report.rows
        .filter((r) => r.unavailable && !r.sameGraphAs)
        .map((r) => `${r.stage} ${r.precision}: ${r.unavailable}`),
    ),
  ];
  const graphs = new Map<string, BenchRow>();
  for (const r of report.rows) graphs.set(`${r.stage} ${r.precision}`, r);
  const memory = table([
    ['graph', 'format', 'disk MB', 'weights MB', 'ours peak RSS MB'],
    ...[...graphs.entries()].map(([name, r]) => [
      name,
      `${r.format.linear}/${r.format.table}/${r.format.activations}`,
      r.unavailable ? '-' : mb(r.diskBytes),
      r.unavailable ? '-' : mb(r.weightBytes),
      fixed(r.oursPeakRssMb, 0),
    ]),
  ]);
  const baselineTable = table([
    ['stage', 'PyTorch', 'median ms', 'peak RSS MB', 'cosine vs fp32'],
    ...report.baselineRows.map((b) => [
      b.step,
      b.baseline,
      fixed(b.medianMs, 1),
      fixed(b.peakRssMb, 0),
      b.agreement ? b.agreement.cosine.toFixed(6) : '-',
    ]),
  ]);
  return [
    ...head,
    '',
    ...timing,
    '',
    'best/ours: the fastest PyTorch configuration measured on that step ÷ ours, from the runs of the same pairing (>1: ours is faster).',
    'vs floor: our decode step ÷ (graph weight bytes ÷ read bandwidth).',
    ...unavailable.map((u) => `unavailable: ${u}`),
    '',
    ...memory,
    '',
    ...baselineTable,
    '',
    `total time ${(report.totalSeconds / 60).toFixed(1)} min`,
  ].join('\n');
}
