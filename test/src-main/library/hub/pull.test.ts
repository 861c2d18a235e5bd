import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { modelSourceFor, type ModelSource } from '../../../../native-models/catalog.ts';
import {
  DOWNLOAD_RECORD_FILE,
  readDownloadRecord,
} from '../../../../src-main/library/hub/download-record.ts';
import { HubError } from '../../../../src-main/library/hub/errors.ts';
import type { PullProgress } from '../../../../src-main/library/hub/progress.ts';
import { pullModel, type PullOptions } from '../../../../src-main/library/hub/pull.ts';
import { closedPortEndpoint, startFakeHub, type FakeHub } from '../../../support/fake-hub.ts';
import { FIXTURE_DIR } from '../../../support/golden.ts';

const OPT_REPO = 'sightline-test/blip2-tiny-opt';
const ITM_REPO = 'sightline-test/blip2-tiny-itm';
const WEIGHTS = 'model.safetensors';

let hub: FakeHub;
let work: string;
let source: ModelSource;

beforeAll(async () => {
  hub = await startFakeHub({
    repos: [
      {
        repoId: OPT_REPO,
        dir: join(FIXTURE_DIR, 'opt'),
        // Files a pull must leave alone: PyTorch weights and repo housekeeping.
        extraFiles: { 'pytorch_model.bin': Buffer.from('not read'), 'README.md': Buffer.from('#') },
      },
      { repoId: ITM_REPO, dir: join(FIXTURE_DIR, 'itm') },
    ],
  });
  source = modelSourceFor(OPT_REPO);
});
afterAll(() => hub.close());

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'sightline-pull-'));
  hub.requests.length = 0;
  hub.faults.drop.clear();
  hub.faults.corrupt.clear();
  hub.faults.ignoreRange = false;
  hub.releaseHeld();
  hub.onRequest = null;
  hub.maxConcurrentBodies = 0;
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function options(extra: Partial<PullOptions> = {}): PullOptions {
  return {
    destDir: join(work, 'download'),
    endpoint: hub.endpoint,
    token: '',
    hfCacheDir: null,
    retryDelayMs: 0,
    ...extra,
  };
}

function bodyRequests(file: string): { range: string | null; status: number }[] {
  return hub.requests
    .filter((r) => r.method === 'GET' && r.path.endsWith(`/${file}`) && !r.path.startsWith('/api/'))
    .filter((r) => r.status !== 302)
    .map((r) => ({ range: r.range, status: r.status }));
}

function expectIdentical(repoId: string, file: string, dir = join(work, 'download')): void {
  const got = readFileSync(join(dir, file));
  expect(got.equals(hub.fileBytes(repoId, file)), `${file} differs`).toBe(true);
}

describe('pullModel against a loopback Hub', () => {
  it('fetches exactly the files the model needs from the resolved commit and records them', async () => {
    const events: PullProgress[] = [];
    const result = await pullModel(source, options({ onProgress: (p) => events.push(p) }));
    const expected = [
      'config.json',
      'generation_config.json',
      'merges.txt',
      WEIGHTS,
      'preprocessor_config.json',
      'processor_config.json',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.json',
    ];
    expect(result.record.files.map((f) => f.path).sort()).toEqual(expected);
    for (const file of expected) expectIdentical(OPT_REPO, file);
    expect(existsSync(join(work, 'download', 'pytorch_model.bin'))).toBe(false);
    expect(existsSync(join(work, 'download', 'README.md'))).toBe(false);
    // Files come from the commit `main` resolved to, so a moving branch cannot mix versions.
    const commit = hub.commitOf(OPT_REPO);
    expect(result.record.revision).toBe(commit);
    expect(result.record.requestedRevision).toBe('main');
    const resolves = hub.requests.filter((r) => r.path.includes('/resolve/'));
    expect(resolves.length).toBeGreaterThan(0);
    expect(resolves.every((r) => r.path.includes(`/resolve/${commit}/`))).toBe(true);
    // The weights were verified against the sha256 the Hub announced.
    const weights = result.record.files.find((f) => f.path === WEIGHTS)!;
    expect(weights.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(weights.size).toBe(hub.fileBytes(OPT_REPO, WEIGHTS).length);
    expect(readDownloadRecord(join(work, 'download'))).toEqual(result.record);
    // Progress: totals add up and end complete.
    const last = events.at(-1)!;
    const total = expected.reduce((sum, f) => sum + hub.fileBytes(OPT_REPO, f).length, 0);
    expect(last.totalBytes).toBe(total);
    expect(last.doneBytes).toBe(total);
    expect(last.etaSeconds).toBe(0);
    expect(last.files.every((f) => f.state === 'done')).toBe(true);
  });

  it('resumes an interrupted download with a Range request and ends byte-identical', async () => {
    const size = hub.fileBytes(OPT_REPO, WEIGHTS).length;
    hub.faults.drop.set(WEIGHTS, { afterBytes: Math.floor(size / 3), times: 1 });
    const first = pullModel(source, options({ retries: 0 }));
    await expect(first).rejects.toThrow(/cannot reach/);
    const partial = join(work, 'download', `${WEIGHTS}.incomplete`);
    const kept = statSync(partial).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(size);
    expect(existsSync(join(work, 'download', DOWNLOAD_RECORD_FILE))).toBe(false);

    hub.requests.length = 0;
    await pullModel(source, options());
    const requests = bodyRequests(WEIGHTS);
    expect(requests).toEqual([{ range: `bytes=${kept}-`, status: 206 }]);
    expectIdentical(OPT_REPO, WEIGHTS);
    expect(existsSync(partial)).toBe(false);
  });

  it('resumes by itself after a dropped connection within one pull', async () => {
    const size = hub.fileBytes(OPT_REPO, WEIGHTS).length;
    hub.faults.drop.set(WEIGHTS, { afterBytes: Math.floor(size / 4), times: 2 });
    await pullModel(source, options({ retries: 3 }));
    const requests = bodyRequests(WEIGHTS);
    expect(requests).toHaveLength(3);
    expect(requests[0]!.range).toBeNull();
    expect(requests[1]!.range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(requests[2]!.range).toMatch(/^bytes=[1-9]\d*-$/);
    expectIdentical(OPT_REPO, WEIGHTS);
  });

  it('starts over when the server ignores Range (200 instead of 206)', async () => {
    const size = hub.fileBytes(OPT_REPO, WEIGHTS).length;
    hub.faults.drop.set(WEIGHTS, { afterBytes: Math.floor(size / 2), times: 1 });
    await expect(pullModel(source, options({ retries: 0 }))).rejects.toThrow(HubError);
    hub.faults.ignoreRange = true;
    hub.requests.length = 0;
    await pullModel(source, options());
    const [request] = bodyRequests(WEIGHTS);
    expect(request!.range).toMatch(/^bytes=\d+-$/);
    expect(request!.status).toBe(200);
    expectIdentical(OPT_REPO, WEIGHTS);
  });

  it('detects a corrupted file by its sha256 and fetches it again', async () => {
    hub.faults.corrupt.set(WEIGHTS, 1);
    const result = await pullModel(source, options());
    expect(bodyRequests(WEIGHTS)).toHaveLength(2);
    expectIdentical(OPT_REPO, WEIGHTS);
    expect(result.record.files.find((f) => f.path === WEIGHTS)!.sha256).toBe(
      (await import('node:crypto'))
        .createHash('sha256')
        .update(hub.fileBytes(OPT_REPO, WEIGHTS))
        .digest('hex'),
    );
  });

  it('gives up with a clear error when the file is corrupt twice, keeping nothing bad', async () => {
    hub.faults.corrupt.set(WEIGHTS, 2);
    const error = await pullModel(source, options()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).kind).toBe('integrity');
    expect((error as HubError).message).toMatch(
      /model\.safetensors is corrupt even after downloading it again/,
    );
    expect(existsSync(join(work, 'download', WEIGHTS))).toBe(false);
    expect(existsSync(join(work, 'download', `${WEIGHTS}.incomplete`))).toBe(false);
  });

  it('downloads several files in parallel, never more than asked', async () => {
    hub.faults.holdUntilConcurrent = 3;
    await pullModel(source, options({ concurrency: 3 }));
    expect(hub.maxConcurrentBodies).toBe(3);
  });

  it('does not download again when the folder already holds the verified files', async () => {
    await pullModel(source, options());
    hub.requests.length = 0;
    const again = await pullModel(source, options());
    expect(again.source).toBe('already-downloaded');
    expect(hub.requests).toHaveLength(0);
  });

  it('refuses to start when the disk is too small, saying needed vs free', async () => {
    const error = await pullModel(
      source,
      options({ freeBytes: () => Promise.resolve(1000) }),
    ).catch((e: unknown) => e);
    expect((error as HubError).kind).toBe('disk-space');
    expect((error as Error).message).toMatch(/needs [\d.]+ kB more, only 1\.0 kB free/);
    expect(bodyRequests(WEIGHTS)).toHaveLength(0);
  });

  it('reports 404 for an unknown repo, revision or file', async () => {
    await expect(pullModel(modelSourceFor('nobody/nothing'), options())).rejects.toThrow(
      /not found \(repo\/revision\/file\)/,
    );
    await expect(pullModel(modelSourceFor(OPT_REPO, 'no-such-branch'), options())).rejects.toThrow(
      /not found \(repo\/revision\/file\)/,
    );
    // A repo without a required file: the listing says so before anything is fetched.
    const broken = {
      ...source,
      files: { ...source.files, required: ['config.json', 'nope.json'] },
    };
    await expect(pullModel(broken, options())).rejects.toThrow(/has no nope\.json/);
  });

  it('explains a closed port as being offline', async () => {
    const endpoint = await closedPortEndpoint();
    const error = await pullModel(source, options({ endpoint })).catch((e: unknown) => e);
    expect((error as HubError).kind).toBe('network');
    expect((error as Error).message).toContain(
      `cannot reach ${endpoint}: offline? set HF_ENDPOINT for a mirror`,
    );
  });

  it('stops when cancelled, without a download record', async () => {
    const controller = new AbortController();
    hub.faults.holdUntilConcurrent = 100; // bodies wait, so the abort lands mid-transfer
    hub.onRequest = (r) => {
      if (r.method === 'GET' && r.path.startsWith('/cdn/')) controller.abort();
    };
    const error = await pullModel(source, options({ signal: controller.signal })).catch(
      (e: unknown) => e,
    );
    expect((error as HubError).kind).toBe('aborted');
    expect(existsSync(join(work, 'download', DOWNLOAD_RECORD_FILE))).toBe(false);
    expect(existsSync(join(work, 'download', WEIGHTS))).toBe(false);
  });
});

describe('pullModel with a token-protected repo', () => {
  let gated: FakeHub;
  beforeAll(async () => {
    gated = await startFakeHub({
      repos: [{ repoId: ITM_REPO, dir: join(FIXTURE_DIR, 'itm') }],
      requireToken: 'hf_secret',
    });
  });
  afterAll(() => gated.close());

  it('asks for HF_TOKEN on 401 and 403', async () => {
    const itm = modelSourceFor(ITM_REPO);
    for (const token of ['', 'hf_wrong']) {
      await expect(pullModel(itm, options({ endpoint: gated.endpoint, token }))).rejects.toThrow(
        /needs a Hugging Face token \(HF_TOKEN\) or accepting the model's terms/,
      );
    }
  });

  it('sends the token as a Bearer header and downloads', async () => {
    const itm = modelSourceFor(ITM_REPO);
    gated.requests.length = 0;
    const result = await pullModel(itm, options({ endpoint: gated.endpoint, token: 'hf_secret' }));
    expect(result.record.files.map((f) => f.path)).toContain('vocab.txt');
    expect(
      gated.requests.filter((r) => r.status === 200 || r.status === 206).length,
    ).toBeGreaterThan(0);
    expect(gated.requests.every((r) => r.authorization === 'Bearer hf_secret')).toBe(true);
    for (const f of result.record.files) {
      expect(
        readFileSync(join(work, 'download', f.path)).equals(gated.fileBytes(ITM_REPO, f.path)),
      ).toBe(true);
    }
  });
});
