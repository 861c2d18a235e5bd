import { describe, expect, it } from 'vitest';
import {
  isBundled,
  startWorker,
  workerEntry,
  workerLaunch,
} from '../../../../src-main/library/media/worker-entry.ts';

const SOURCE = new URL('file:///app/src-main/library/media/decode-worker-main.ts');
const BUNDLE_CHUNK = 'file:///app/resources/app.asar/out/main/service.js';

describe('workerEntry', () => {
  it('is the TypeScript module when running from source (as these tests do)', () => {
    expect(isBundled()).toBe(false);
    expect(workerEntry('decode-worker', SOURCE).href).toBe(SOURCE.href);
  });

  it('is `<name>.js` beside the bundle chunk in the bundle', () => {
    expect(workerEntry('decode-worker', SOURCE, true, BUNDLE_CHUNK).href).toBe(
      'file:///app/resources/app.asar/out/main/decode-worker.js',
    );
  });
});

describe('workerLaunch', () => {
  it('starts TypeScript through the bootstrap, naming the entry in workerData', () => {
    const launch = workerLaunch(SOURCE, { decodeLock: 3 });
    expect(launch.script.pathname).toMatch(/\/worker-bootstrap\.mjs$/);
    expect(launch.workerData).toEqual({ decodeLock: 3, entry: SOURCE.href });
  });

  it('starts built JavaScript directly, with the caller’s workerData only', () => {
    const built = new URL('./decode-worker.js', BUNDLE_CHUNK);
    expect(workerLaunch(built, { decodeLock: 3 })).toEqual({
      script: built,
      workerData: { decodeLock: 3 },
    });
  });

  it('runs a TypeScript worker from source, with its workerData', async () => {
    const worker = startWorker(new URL('./echo-worker.ts', import.meta.url), { greeting: 'hi' });
    try {
      const reply = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(reply).toEqual({ greeting: 'hi' });
    } finally {
      await worker.terminate();
    }
  });
});
