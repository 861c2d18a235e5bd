// Builds the real renderer for a plain browser: same root, plugins and CSP as the Electron build,
// but its script is test/e2e/browser-entry.ts (AppApi over HTTP) instead of src-renderer/main.ts.
import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { build, type Plugin } from 'vite';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const rendererRoot = resolve(repoRoot, 'src-renderer');
const browserEntry = resolve(import.meta.dirname, 'browser-entry.ts');

/** Points index.html's module script at the browser entry; the page itself is unchanged. */
function useBrowserEntry(): Plugin {
  return {
    name: 'sightline-e2e:browser-entry',
    enforce: 'pre',
    resolveId(source, importer) {
      const fromIndexHtml = importer !== undefined && importer.endsWith('index.html');
      return fromIndexHtml && source.replace(/^\.\//, '') === 'main.ts' ? browserEntry : null;
    },
  };
}

/** Writes the production build of the renderer (index.html + hashed assets) into `outDir`. */
export async function buildRendererForBrowser(outDir: string): Promise<void> {
  await build({
    configFile: false,
    root: rendererRoot,
    logLevel: 'warn',
    plugins: [svelte({ configFile: resolve(repoRoot, 'svelte.config.js') }), useBrowserEntry()],
    build: { outDir, emptyOutDir: true, target: 'es2023' },
  });
}
