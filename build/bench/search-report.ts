/** Result shape and table formatting for `npm run bench:search`. */

export interface EngineResult {
  size: number;
  engine: string;
  strategy: string;
  /** Candidates rescored per result (pooled only). */
  overfetch: number | null;
  reason: string | null;
  buildSeconds: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  recallAt10: number | null;
  rssDeltaMiB: number | null;
  indexMiB: number | null;
  skipped: string | null;
}

export interface SizeResult {
  size: number;
  generateSeconds: number | null;
  embeddingsMiB: number | null;
  skipped: string | null;
  engines: EngineResult[];
}

export interface SearchBenchReport {
  rows: number;
  dimensions: number;
  queries: number;
  k: number;
  cpu: string;
  cores: number;
  node: string;
  sizes: SizeResult[];
  totalSeconds: number;
}

const fixed = (v: number | null, digits: number): string => (v === null ? '–' : v.toFixed(digits));

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function formatSearchReport(report: SearchBenchReport): string {
  const header = [
    'photos',
    'engine',
    'strategy',
    'build s',
    'p50 ms',
    'p95 ms',
    'recall@10',
    'RSS Δ MiB',
    'index MiB',
  ];
  const lines: string[][] = [header];
  const notes: string[] = [];
  for (const size of report.sizes) {
    if (size.skipped) {
      notes.push(`${size.size} photos skipped: ${size.skipped}`);
      continue;
    }
    notes.push(
      `${size.size} photos: synthetic embeddings written in ${fixed(size.generateSeconds, 1)} s, ` +
        `${fixed(size.embeddingsMiB, 0)} MiB of fp16 blobs`,
    );
    for (const e of size.engines) {
      const strategy = e.overfetch === null ? e.strategy : `${e.strategy} ×${e.overfetch}`;
      if (e.skipped) {
        notes.push(`${size.size} photos, ${e.engine} ${e.strategy} skipped: ${e.skipped}`);
        continue;
      }
      lines.push([
        String(size.size),
        e.engine,
        strategy,
        fixed(e.buildSeconds, 1),
        fixed(e.p50Ms, 1),
        fixed(e.p95Ms, 1),
        fixed(e.recallAt10, 3),
        fixed(e.rssDeltaMiB, 0),
        fixed(e.indexMiB, 0),
      ]);
    }
  }
  const widths = header.map((_, c) => Math.max(...lines.map((l) => l[c]!.length)));
  const table = lines.map((l) =>
    l.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '),
  );
  table.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return [
    `search bench: Q=${report.rows} query vectors × E=${report.dimensions} dims per photo, ` +
      `${report.queries} queries, k=${report.k}; ${report.cpu} (${report.cores} cores), node ${report.node}`,
    '',
    ...table,
    '',
    ...notes.map((n) => `- ${n}`),
    `- pooled: candidates from the pooled (mean) vector, rescored with exact max-sim; default`,
    `  count max(10·k, 100, 0.5% of photos); pooled ×N: exactly N·k candidates (same index).`,
    `- recall@10 is against the exact engine; build = first sync from the embeddings table;`,
    `  index MiB = the engine's tables in the database (dbstat) or its in-memory matrix (exact).`,
    `total ${report.totalSeconds.toFixed(0)} s`,
  ].join('\n');
}
