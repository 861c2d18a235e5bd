// Build layout: out/main (ESM main process), out/preload (CommonJS, required by sandboxed
// preloads), out/renderer (Svelte app). Entries are explicit because we do not use the
// electron-vite default src/{main,preload,renderer} layout.
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Plugin } from 'vite';

const root = import.meta.dirname;

/**
 * Native addons cannot be bundled: they load .node binaries relative to their own package.
 * electron-vite already externalizes `dependencies`; listing them keeps that true even if the
 * default changes or one of them moves to devDependencies.
 */
const nativeModules = ['onnxruntime-node', 'sharp', 'better-sqlite3'];

/**
 * The page ships a strict CSP. Vite's dev server injects component styles as inline <style>
 * tags, so only while serving do we allow inline styles; production builds keep the strict one.
 */
function relaxCspForDevServer(): Plugin {
  return {
    name: 'sightline:relax-csp-for-dev-server',
    apply: 'serve',
    transformIndexHtml: (html) =>
      html.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
  };
}

/**
 * Main-process entries. `service` is the child process hosting the core; the workers are started
 * by file name (`new URL('./decode-worker.js', import.meta.url)`, see worker-entry.ts), so every
 * entry and shared chunk lands flat in out/main under a stable name.
 */
const mainEntries = {
  index: 'src-main/app/main.ts',
  service: 'src-main/transport/service-process.ts',
  'decode-worker': 'src-main/library/media/decode-worker-main.ts',
  'convert-worker': 'native-models/builder/convert-worker.ts',
};

export default defineConfig({
  main: {
    // Tells worker-entry.ts that workers are built JavaScript files beside it, not TypeScript.
    define: { __SIGHTLINE_BUNDLED__: 'true' },
    build: {
      rolldownOptions: {
        input: Object.fromEntries(
          Object.entries(mainEntries).map(([name, file]) => [name, resolve(root, file)]),
        ),
        external: nativeModules,
        output: {
          entryFileNames: '[name].js',
          chunkFileNames: '[name]-[hash].js',
          assetFileNames: '[name]-[hash][extname]',
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload can require() only 'electron', so every dependency is bundled in.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'src-main/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    plugins: [svelte({ configFile: resolve(root, 'svelte.config.js') }), relaxCspForDevServer()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rolldownOptions: {
        input: { index: resolve(root, 'src-renderer/index.html') },
      },
    },
  },
});
