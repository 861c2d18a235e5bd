import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type * as RendererLocationModule from '../../../src-main/app/renderer-location.ts';

type RendererLocation = typeof RendererLocationModule;

// The module reads ELECTRON_RENDERER_URL once at load, so each case loads a fresh copy.
async function loadWithDevServer(url: string | undefined): Promise<RendererLocation> {
  vi.resetModules();
  if (url === undefined) vi.stubEnv('ELECTRON_RENDERER_URL', undefined);
  else vi.stubEnv('ELECTRON_RENDERER_URL', url);
  return import('../../../src-main/app/renderer-location.ts');
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('isTrustedRendererUrl (packaged build)', () => {
  it('trusts exactly the bundled renderer page', async () => {
    const location = await loadWithDevServer(undefined);
    const pageUrl = pathToFileURL(location.rendererIndexPath).href;
    expect(location.isTrustedRendererUrl(pageUrl)).toBe(true);
    expect(location.isTrustedRendererUrl(`${pageUrl}#/search`)).toBe(true);
  });

  it('rejects other files, remote pages and garbage', async () => {
    const location = await loadWithDevServer(undefined);
    const sibling = pathToFileURL(location.rendererIndexPath.replace(/index\.html$/, 'x.html'));
    expect(location.isTrustedRendererUrl(sibling.href)).toBe(false);
    expect(location.isTrustedRendererUrl('https://example.com/index.html')).toBe(false);
    expect(location.isTrustedRendererUrl('not a url')).toBe(false);
    expect(location.isTrustedRendererUrl('')).toBe(false);
  });
});

describe('isTrustedRendererUrl (dev server)', () => {
  it('trusts the dev server origin only', async () => {
    const location = await loadWithDevServer('http://localhost:5173/');
    expect(location.rendererDevServerUrl()).toBe('http://localhost:5173/');
    expect(location.isTrustedRendererUrl('http://localhost:5173/index.html')).toBe(true);
    expect(location.isTrustedRendererUrl('http://localhost:5174/')).toBe(false);
    expect(location.isTrustedRendererUrl('http://evil.test:5173/')).toBe(false);
    expect(location.isTrustedRendererUrl(pathToFileURL(location.rendererIndexPath).href)).toBe(
      false,
    );
  });
});

describe('unpackedPath', () => {
  it('moves a path inside app.asar to app.asar.unpacked, and leaves others alone', async () => {
    const { unpackedPath } = await loadWithDevServer(undefined);
    expect(unpackedPath('/opt/Sightline/resources/app.asar/out/main/service.js')).toBe(
      '/opt/Sightline/resources/app.asar.unpacked/out/main/service.js',
    );
    expect(unpackedPath('C:\\Sightline\\resources\\app.asar\\out\\main\\service.js')).toBe(
      'C:\\Sightline\\resources\\app.asar.unpacked\\out\\main\\service.js',
    );
    expect(unpackedPath('/home/me/sightline/out/main/service.js')).toBe(
      '/home/me/sightline/out/main/service.js',
    );
    expect(unpackedPath('/x/app.asar.unpacked/out/main/service.js')).toBe(
      '/x/app.asar.unpacked/out/main/service.js',
    );
  });

  it('places the service entry beside the main bundle', async () => {
    const { serviceEntryPath, rendererIndexPath } = await loadWithDevServer(undefined);
    expect(serviceEntryPath.endsWith('service.js')).toBe(true);
    expect(path.dirname(path.dirname(serviceEntryPath))).toBe(
      path.dirname(path.dirname(rendererIndexPath)),
    );
  });
});
