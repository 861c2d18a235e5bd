import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  registerModelHubCommands,
  type ModelListRow,
} from '../../../src-main/cli/commands/models-hub.ts';
import { readManifest } from '../../../src-main/engine/blip2/converted-model.ts';
import type { SetupResult } from '../../../src-main/library/hub/setup.ts';
import { startFakeHub, type FakeHub } from '../../support/fake-hub.ts';
import { FIXTURE_DIR } from '../../support/golden.ts';

const REPO = 'sightline-test/blip2-tiny-opt';

let hub: FakeHub;
let home: string;

/** Runs `sightline models …` in-process with the hub commands attached; returns stdout. */
async function models(...args: string[]): Promise<string> {
  const program = new Command('sightline').exitOverride();
  registerModelHubCommands(program.command('models'));
  const chunks: string[] = [];
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    chunks.push(String(chunk));
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(['models', ...args], { from: 'user' });
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return chunks.join('');
}

beforeAll(async () => {
  hub = await startFakeHub({ repos: [{ repoId: REPO, dir: join(FIXTURE_DIR, 'opt') }] });
  home = mkdtempSync(join(tmpdir(), 'sightline-models-hub-'));
  vi.stubEnv('SIGHTLINE_HOME', home);
  vi.stubEnv('HF_ENDPOINT', hub.endpoint);
  vi.stubEnv('HF_HUB_CACHE', join(home, 'empty-hf-cache'));
  vi.stubEnv('HF_TOKEN', '');
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await hub.close();
  rmSync(home, { recursive: true, force: true });
});

const modelsDir = (): string => join(home, 'models');

describe('sightline models pull | list | remove', () => {
  it('lists the catalog with nothing installed', async () => {
    const rows = JSON.parse(await models('list', '--json')) as ModelListRow[];
    expect(rows.map((r) => r.name)).toEqual([
      'blip2-opt-2.7b',
      'blip2-itm-vit-g',
      'blip2-opt-2.7b-coco',
    ]);
    expect(rows.every((r) => !r.converted && r.download === 'none')).toBe(true);
    expect(await models('list')).toMatch(/blip2-opt-2\.7b\s+caption, default\s+not installed/);
  });

  it('pulls and converts a repo into the models folder', async () => {
    const result = JSON.parse(await models('pull', REPO, '--json')) as SetupResult;
    expect(result.modelDir).toBe(join(modelsDir(), 'blip2-tiny-opt'));
    expect(readManifest(result.modelDir!).source.revision).toBe(hub.commitOf(REPO));
    const rows = JSON.parse(await models('list', '--json')) as ModelListRow[];
    const row = rows.find((r) => r.name === 'blip2-tiny-opt')!;
    expect(row).toMatchObject({
      inCatalog: false,
      role: 'caption',
      repoId: REPO,
      converted: true,
      download: 'complete',
    });
    expect(row.convertedBytes).toBeGreaterThan(0);
    expect(row.downloadBytes).toBeGreaterThan(0);
  });

  it('removes the conversion, optionally keeping the download', async () => {
    const converted = join(modelsDir(), 'blip2-tiny-opt');
    const download = join(modelsDir(), 'hf', 'blip2-tiny-opt');
    expect(await models('remove', 'blip2-tiny-opt', '--keep-download')).toMatch(/^removed /);
    expect(existsSync(converted)).toBe(false);
    expect(existsSync(download)).toBe(true);
    await models('remove', 'blip2-tiny-opt');
    expect(existsSync(download)).toBe(false);
    await expect(models('remove', 'blip2-tiny-opt')).rejects.toThrow(/is not installed/);
    await expect(models('remove', '..')).rejects.toThrow(/is not a model name/);
  });

  it('with --no-keep-download the converted model is all that stays on disk', async () => {
    const download = join(modelsDir(), 'hf', 'blip2-tiny-opt');
    const result = JSON.parse(
      await models('pull', REPO, '--no-keep-download', '--json'),
    ) as SetupResult;
    expect(result.downloadRemoved).toBe(true);
    expect(readManifest(result.modelDir!).source.revision).toBe(hub.commitOf(REPO));
    expect(existsSync(download)).toBe(false);
    const rows = JSON.parse(await models('list', '--json')) as ModelListRow[];
    expect(rows.find((r) => r.name === 'blip2-tiny-opt')).toMatchObject({
      converted: true,
      download: 'none',
    });
    await models('remove', 'blip2-tiny-opt');
  });

  it('downloads only with --no-convert and reports Hub errors plainly', async () => {
    const text = await models('pull', REPO, '--no-convert');
    expect(text).toMatch(/^blip2-tiny-opt: downloaded [\d.]+ kB to .+ \(not converted\)\n$/);
    expect(existsSync(join(modelsDir(), 'blip2-tiny-opt'))).toBe(false);
    await expect(models('pull', 'nobody/nothing')).rejects.toThrow(
      /not found \(repo\/revision\/file\)/,
    );
  });
});
