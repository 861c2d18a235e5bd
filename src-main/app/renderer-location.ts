// Where the renderer page lives, and the check that an IPC sender really is that page.
// In development electron-vite serves the renderer over http and tells us its URL through
// ELECTRON_RENDERER_URL; in a packaged build it is the bundled out/renderer/index.html.
import { fileURLToPath } from 'node:url';

const devServerUrl = process.env['ELECTRON_RENDERER_URL'];

/** Absolute path of the built renderer entry (out/renderer/index.html next to out/main). */
export const rendererIndexPath = fileURLToPath(new URL('../renderer/index.html', import.meta.url));

/** Absolute path of the built preload script. Sandboxed preloads must be CommonJS. */
export const preloadPath = fileURLToPath(new URL('../preload/index.cjs', import.meta.url));

/**
 * The same file in `app.asar.unpacked` when it lies inside `app.asar`. electron-builder unpacks
 * out/main (asarUnpack), because the utility process and worker threads are started from real
 * files; paths derived from import.meta.url still point into the archive.
 */
export function unpackedPath(filePath: string): string {
  return filePath.replace(/([\\/])app\.asar([\\/])/, '$1app.asar.unpacked$2');
}

/** Entry of the core's own process (built from src-main/transport/service-process.ts). */
export const serviceEntryPath = unpackedPath(
  fileURLToPath(new URL('./service.js', import.meta.url)),
);

export function rendererDevServerUrl(): string | undefined {
  return devServerUrl;
}

export function isTrustedRendererUrl(candidate: string): boolean {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  if (devServerUrl !== undefined) {
    return url.origin === new URL(devServerUrl).origin;
  }
  return url.protocol === 'file:' && fileURLToPath(url) === rendererIndexPath;
}
