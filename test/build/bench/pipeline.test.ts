import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PipelineReport } from '../../../build/bench/pipeline.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('npm run bench:pipeline --scale small', () => {
  const work = mkdtempSync(join(tmpdir(), 'bench-pipeline-test-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const bench = (...args: string[]): SpawnSyncReturns<string> =>
    spawnSync(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      [
        'build/bench/pipeline.ts',
        '--scale',
        'small',
        '--threads',
        '1',
        '--workers',
        '1',
        '--work-dir',
        work,
        ...args,
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );

  it('converts random checkpoints and indexes photos through the real path', () => {
    const jsonPath = join(work, 'pipeline.json');
    const run = bench('--photos', '10', '--precision', 'fp32', '--json', jsonPath);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^CPU: /m);
    const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as PipelineReport;
    expect(report.precision).toBe('fp32');
    expect(report.processed).toBe(10);
    expect(report.errors).toBe(0);
    expect(report.written.captions).toBe(10);
    expect(report.photosPerHour).toBeCloseTo((10 / report.seconds) * 3600, 6);
    expect(report.peakRssMb).toBeGreaterThan(50);
    expect(report.modelBytes.captioning).toBeGreaterThan(0);
    expect(report.modelBytes.retrieval).toBeGreaterThan(0);
    expect(readdirSync(work)).toEqual(['pipeline.json']);
  }, 300_000);

  it('never reports an fp32 conversion under another precision', () => {
    const jsonPath = join(work, 'int4.json');
    const run = bench('--photos', '2', '--precision', 'int4', '--json', jsonPath);
    if (run.status === 0) {
      // A converter with precision support: the manifest confirmed int4.
      expect((JSON.parse(readFileSync(jsonPath, 'utf8')) as PipelineReport).precision).toBe('int4');
    } else {
      expect(run.stderr).toMatch(/asked for --precision int4/);
      expect(run.stdout).not.toMatch(/photos\/hour/);
    }
    rmSync(jsonPath, { force: true });
  }, 300_000);
});
