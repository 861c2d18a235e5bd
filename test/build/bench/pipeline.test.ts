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

  it('converts random checkpoints per precision and indexes photos through the real path', () => {
    const jsonPath = join(work, 'pipeline.json');
    const run: SpawnSyncReturns<string> = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      [
        'build/bench/pipeline.ts',
        ...['--scale', 'small', '--threads', '1', '--workers', '1', '--photos', '10'],
        ...['--precisions', 'fp32,int4', '--work-dir', work, '--json', jsonPath],
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^CPU: /m);
    const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as PipelineReport;
    expect(report.photos).toBe(10);
    const [fp32, int4] = report.rows;
    expect(fp32!.precision).toBe('fp32');
    expect(fp32!.unavailable).toBeNull();
    expect(fp32!.vsFirst).toBe(1);
    for (const row of report.rows.filter((r) => r.unavailable === null)) {
      expect(row.processed).toBe(10);
      expect(row.errors).toBe(0);
      expect(row.written.captions).toBe(10);
      expect(row.photosPerHour).toBeCloseTo((10 / row.seconds) * 3600, 6);
      expect(row.peakRssMb).toBeGreaterThan(50);
      expect(row.modelBytes.captioning).toBeGreaterThan(0);
      expect(row.modelBytes.retrieval).toBeGreaterThan(0);
    }
    expect(int4!.precision).toBe('int4');
    if (int4!.unavailable !== null) {
      // A converter without --precision support: reported, never run as fp32 under the int4 name.
      expect(int4!.unavailable).toMatch(/asked for --precision int4/);
      expect(int4!.processed).toBe(0);
    } else {
      expect(int4!.modelBytes.captioning).toBeLessThan(fp32!.modelBytes.captioning);
    }
    // Everything but the JSON is cleaned up.
    expect(readdirSync(work)).toEqual(['pipeline.json']);
  }, 300_000);
});
