import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { modelSourceFor } from '../../../../native-models/catalog.ts';
import { hfHubCacheDir } from '../../../../src-main/library/hub/hf-cache.ts';
import { pullModel } from '../../../../src-main/library/hub/pull.ts';
import { closedPortEndpoint, startFakeHub, type FakeHub } from '../../../support/fake-hub.ts';
import { FIXTURE_DIR } from '../../../support/golden.ts';

const REPO = 'sightline-test/blip2-tiny-opt';
const OPT_DIR = join(FIXTURE_DIR, 'opt');
const WEIGHTS = 'model.safetensors';

/** Writes files the way huggingface_hub does: blobs by ETag, snapshot symlinks, refs/<branch>. */
function writeCache(
  cacheDir: string,
  repoId: string,
  commit: string,
  files: Record<string, Buffer>,
): string {
  const repoDir = join(cacheDir, `models--${repoId.replace('/', '--')}`);
  mkdirSync(join(repoDir, 'blobs'), { recursive: true });
  mkdirSync(join(repoDir, 'snapshots', commit), { recursive: true });
  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  writeFileSync(join(repoDir, 'refs', 'main'), commit);
  for (const [name, data] of Object.entries(files)) {
    const etag = name.endsWith('.safetensors')
      ? createHash('sha256').update(data).digest('hex')
      : createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
    writeFileSync(join(repoDir, 'blobs', etag), data);
    symlinkSync(join('..', '..', 'blobs', etag), join(repoDir, 'snapshots', commit, name));
  }
  return repoDir;
}

function fixtureFiles(): Record<string, Buffer> {
  return Object.fromEntries(readdirSync(OPT_DIR).map((f) => [f, readFileSync(join(OPT_DIR, f))]));
}

let hub: FakeHub;
let work: string;
beforeAll(async () => {
  hub = await startFakeHub({ repos: [{ repoId: REPO, dir: OPT_DIR }] });
});
afterAll(() => hub.close());
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'sightline-hfcache-'));
  hub.requests.length = 0;
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('reusing the Hugging Face cache', () => {
  it('links a complete cached snapshot without touching the network', async () => {
    const cacheDir = join(work, 'hf-cache');
    const commit = 'c'.repeat(40);
    const repoDir = writeCache(cacheDir, REPO, commit, fixtureFiles());
    const destDir = join(work, 'download');
    const result = await pullModel(modelSourceFor(REPO), {
      destDir,
      endpoint: await closedPortEndpoint(), // offline: any request would fail
      hfCacheDir: cacheDir,
    });
    expect(result.source).toBe('hf-cache');
    expect(result.record.revision).toBe(commit);
    for (const file of readdirSync(OPT_DIR)) {
      expect(readFileSync(join(destDir, file)).equals(readFileSync(join(OPT_DIR, file)))).toBe(
        true,
      );
    }
    // Same file system: hard links to the blobs, no second copy of the weights.
    const record = result.record.files.find((f) => f.path === WEIGHTS)!;
    expect(statSync(join(destDir, WEIGHTS)).ino).toBe(
      statSync(join(repoDir, 'blobs', record.sha256!)).ino,
    );
  });

  it('takes matching files from a partial snapshot of the same commit and downloads the rest', async () => {
    const cacheDir = join(work, 'hf-cache');
    const files = fixtureFiles();
    writeCache(cacheDir, REPO, hub.commitOf(REPO), {
      [WEIGHTS]: files[WEIGHTS]!,
      // A stale file whose size differs from the Hub's: must not be used.
      'tokenizer.json': Buffer.from('{}'),
    });
    const destDir = join(work, 'download');
    const result = await pullModel(modelSourceFor(REPO), {
      destDir,
      endpoint: hub.endpoint,
      hfCacheDir: cacheDir,
    });
    const bySource = Object.fromEntries(result.record.files.map((f) => [f.path, f.source]));
    expect(bySource[WEIGHTS]).toBe('hf-cache');
    expect(bySource['tokenizer.json']).toBe('hub');
    expect(bySource['config.json']).toBe('hub');
    const weightBodies = hub.requests.filter(
      (r) => r.path.startsWith('/cdn/') && r.method === 'GET',
    );
    expect(weightBodies).toHaveLength(0);
    for (const file of readdirSync(OPT_DIR)) {
      expect(readFileSync(join(destDir, file)).equals(files[file]!)).toBe(true);
    }
  });

  it('finds the cache where huggingface_hub puts it', () => {
    const home = '/home/u';
    expect(hfHubCacheDir({}, home)).toBe('/home/u/.cache/huggingface/hub');
    expect(hfHubCacheDir({ XDG_CACHE_HOME: '/x' }, home)).toBe('/x/huggingface/hub');
    expect(hfHubCacheDir({ HF_HOME: '/h' }, home)).toBe('/h/hub');
    expect(hfHubCacheDir({ HF_HOME: '/h', HF_HUB_CACHE: '/c' }, home)).toBe('/c');
  });
});
