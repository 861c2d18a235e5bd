import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { referenceDir, referencePython } from '../../../build/bench/reference-process.ts';
import type { BenchReport } from '../../../build/bench/report.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const STAGES = ['vision', 'qformer', 'prefill', 'decode'];

/** Whether the bench should be able to run the PyTorch side here (checked independently of it). */
function referenceAvailable(): boolean {
  const probe = spawnSync(
    referencePython(),
    ['-c', 'import sys; sys.path.insert(0, sys.argv[1]); import blip2_ref', referenceDir()],
    {
      encoding: 'utf8',
    },
  );
  return probe.status === 0;
}

describe('npm run bench:engine --scale small', () => {
  const work = mkdtempSync(join(tmpdir(), 'bench-engine-test-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('times every stage in onnxruntime and matches the PyTorch reference', () => {
    const jsonPath = join(work, 'report.json');
    const run = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      [
        'build/bench/engine.ts',
        '--scale',
        'small',
        '--reps',
        '2',
        '--threads',
        '1',
        '--json',
        jsonPath,
        '--work-dir',
        work,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);

    const tableRows = run.stdout.split('\n').filter((line) => line.startsWith('| '));
    for (const stage of STAGES)
      expect(tableRows.some((row) => row.startsWith(`| ${stage} `))).toBe(true);

    const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as BenchReport;
    expect(report.stages.map((s) => s.stage.split(' ')[0])).toEqual(STAGES);
    for (const stage of report.stages) {
      expect(stage.ortOutputFinite).toBe(true);
      expect(stage.ortMs).toHaveLength(2);
      expect(stage.ortMedianMs).toBeGreaterThan(0);
    }

    if (referenceAvailable()) {
      expect(report.referenceSkipped).toBeNull();
      for (const stage of report.stages) {
        expect(stage.torchMedianMs).toBeGreaterThan(0);
        expect(stage.maxAbsReference).toBeGreaterThan(0);
        expect(stage.maxAbsDiff).toBeLessThan(1e-4 * Math.max(1, stage.maxAbsReference ?? 0));
      }
    } else {
      expect(report.referenceSkipped).toMatch(/\S/);
      expect(run.stdout).toContain('PyTorch reference skipped');
    }
    // The bench cleans up after itself: only our JSON is left in the work folder.
    expect(readdirSync(work)).toEqual(['report.json']);
  }, 300_000);
});
