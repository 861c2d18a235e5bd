import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  benchPython,
  referenceDir,
  referencePython,
} from '../../../build/bench/baseline-process.ts';
import type { BenchReport } from '../../../build/bench/report.ts';
import { cpuFeatures } from '../../../build/bench/system.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const REFERENCE_BLAS = '/usr/lib/x86_64-linux-gnu/blas';
const REFERENCE_LAPACK = '/usr/lib/x86_64-linux-gnu/lapack';
const STEPS = [
  'vision B=1',
  'vision B=8',
  'qformer B=8',
  'prefill',
  'decode rows=1',
  'decode rows=24',
];
const PRECISIONS = ['fp32', 'int8', 'int4'];

/** Whether a PyTorch side should be able to run here (checked independently of the bench). */
function pythonCan(python: string, code: string, ...args: string[]): boolean {
  if (python.includes('/') && !existsSync(python)) return false;
  return spawnSync(python, ['-c', code, ...args], { encoding: 'utf8' }).status === 0;
}
const hfAvailable = pythonCan(benchPython(), 'import torch, transformers');
const referenceAvailable = pythonCan(
  referencePython(),
  'import sys; sys.path.insert(0, sys.argv[1]); import blip2_ref',
  referenceDir(),
);

describe('npm run bench:engine --scale small', () => {
  const work = mkdtempSync(join(tmpdir(), 'bench-engine-test-'));
  const jsonPath = join(work, 'report.json');
  let run: SpawnSyncReturns<string>;
  let report: BenchReport;

  beforeAll(() => {
    run = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      [
        'build/bench/engine.ts',
        ...['--scale', 'small', '--reps', '2', '--threads', '1'],
        ...['--precisions', PRECISIONS.join(','), '--json', jsonPath, '--work-dir', work],
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (run.status === 0) report = JSON.parse(readFileSync(jsonPath, 'utf8')) as BenchReport;
  }, 600_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('reports every step at every precision, headed by the CPU and its bandwidth', () => {
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^CPU: .*AVX-512 (yes|no), VNNI (yes|no), AVX512-BF16 (yes|no), AMX (yes|no)/m,
    );
    expect(run.stdout).toMatch(/read bandwidth \d+\.\d GB\/s/);
    expect(report.cpu.flags).toEqual(cpuFeatures().flags);
    expect(report.bandwidth.onnxruntime).toBeGreaterThan(1e8);

    expect(report.rows.map((r) => `${r.step} ${r.precision}`)).toHaveLength(
      STEPS.length * PRECISIONS.length,
    );
    for (const [i, prefix] of STEPS.entries()) {
      const rows = report.rows.slice(i * PRECISIONS.length, (i + 1) * PRECISIONS.length);
      expect(rows.map((r) => r.precision)).toEqual(PRECISIONS);
      for (const row of rows) expect(row.step.startsWith(prefix)).toBe(true);
    }
    for (const row of report.rows) {
      if (row.unavailable !== null) {
        // Not timed under a wrong name: a reason and no timings.
        expect(row.unavailable).toMatch(/\S/);
        expect(row.oursMs).toEqual([]);
        continue;
      }
      expect(row.oursMs.length).toBeGreaterThanOrEqual(2);
      expect(row.oursMedianMs).toBeGreaterThan(0);
      expect(row.outputFinite).toBe(true);
      expect(row.diskBytes).toBeGreaterThan(row.weightBytes);
      expect(row.oursPeakRssMb).toBeGreaterThan(0);
      expect(row.overBandwidthFloor === null).toBe(!row.step.startsWith('decode'));
    }
    // fp32 is always buildable; the Q-Former is fp32 at every CPU precision (same graph).
    for (const row of report.rows.filter((r) => r.precision === 'fp32'))
      expect(row.unavailable).toBeNull();
    for (const row of report.rows.filter((r) => r.stage === 'qformer' && r.precision !== 'fp32'))
      expect(row.sameGraphAs).toBe('fp32');
    // The bench cleans up after itself: only our JSON is left in the work folder.
    expect(readdirSync(work)).toEqual(['report.json']);
  });

  it.skipIf(!hfAvailable)(
    'times Hugging Face fp32, bf16 (where the CPU has it) and dynamic int8 against our graphs (needs npm run bench:setup)',
    () => {
      const cpu = cpuFeatures();
      const expected = [
        'HF fp32',
        ...(cpu.amx || cpu.avx512bf16 ? ['HF bf16'] : []),
        'HF int8-dynamic',
      ];
      expect(report.baselines).toEqual(expected);
      expect(report.versions.transformers).toMatch(/^\d+\./);
      expect(report.versions['torch BLAS']).not.toMatch(/reference/);
      for (const row of report.rows.filter((r) => r.unavailable === null)) {
        for (const name of expected) {
          expect(row.baselines[name]!.medianMs).toBeGreaterThan(0);
          expect(row.baselines[name]!.ratio).toBeGreaterThan(0);
        }
        const fastest = Math.min(...expected.map((n) => row.baselines[n]!.medianMs));
        expect(row.best!.medianMs).toBe(fastest);
        expect(row.agreement!.against).toBe('HF fp32');
        if (row.precision === 'fp32') {
          expect(row.parity).toBe(true);
          expect(row.agreement!.maxAbsDiff).toBeLessThan(
            1e-4 * Math.max(1, row.agreement!.maxAbsReference),
          );
        } else {
          // Gross errors only: the stated bounds per precision live in the fidelity tests.
          expect(row.agreement!.cosine).toBeGreaterThan(0.95);
        }
      }
      for (const b of report.baselineRows.filter((b) => b.baseline !== 'HF fp32'))
        expect(b.agreement!.cosine).toBeGreaterThan(0.99);
    },
  );

  it.skipIf(hfAvailable || !referenceAvailable)(
    'falls back to the pure-torch reference when the bench venv is missing',
    () => {
      expect(report.baselines).toEqual(['reference fp32']);
      expect(Object.keys(report.baselinesUnavailable)).toContain('HF transformers');
      for (const row of report.rows.filter((r) => r.precision === 'fp32'))
        expect(row.parity).toBe(true);
    },
  );

  it.skipIf(hfAvailable || referenceAvailable)('says why no PyTorch side ran', () => {
    expect(report.baselines).toEqual([]);
    expect(Object.values(report.baselinesUnavailable).join(' ')).toMatch(/\S/);
    expect(run.stdout).toContain('not measured');
  });

  it.skipIf(!referenceAvailable || !existsSync(REFERENCE_BLAS))(
    'refuses a torch that runs on the reference BLAS',
    () => {
      const refused = spawnSync(
        join(ROOT, 'node_modules', '.bin', 'tsx'),
        [
          'build/bench/engine.ts',
          ...['--scale', 'small', '--reps', '1', '--threads', '1', '--stages', 'qformer'],
          ...['--precisions', 'fp32', '--baseline', 'reference', '--work-dir', work],
        ],
        {
          cwd: ROOT,
          encoding: 'utf8',
          // Debian's torch resolves libblas.so.3 through this path first: the netlib reference one.
          env: { ...process.env, LD_LIBRARY_PATH: `${REFERENCE_BLAS}:${REFERENCE_LAPACK}` },
        },
      );
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/runs its matrix products on reference BLAS/);
      expect(refused.stdout).not.toContain('| qformer');
    },
    300_000,
  );
});
