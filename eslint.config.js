// ESLint flat config. Besides type-checked TypeScript rules, this file is where the
// architecture lives: every folder gets a `no-restricted-imports` rule listing the layers it
// must not reach, so a wrong import fails `npm run lint` instead of relying on memory.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

/** @typedef {{ regex: string, message: string }} RestrictedPattern */

/** @param {string} regex @param {string} message @returns {RestrictedPattern} */
const forbid = (regex, message) => ({ regex, message });

const nodeBuiltinNames = builtinModules.filter((name) => !name.startsWith('_'));

// The single door to onnxruntime-node, so session options and tensor conversions live in one
// place. Every other file gets the `noOnnxRuntime` restriction below.
const onnxRuntimeGateway = 'src-main/engine/runtime/ort.ts';

// Building blocks. Regexes match the import specifier as written; local imports are relative,
// so cross-layer ones are recognised by the folder names they go through.
const noElectron = forbid('^electron(/.*)?$', 'This layer must not depend on Electron.');
const noNodeBuiltins = forbid(
  `^(node:.*|(${nodeBuiltinNames.join('|')})(/.*)?)$`,
  'This layer runs in a browser/sandbox context: no Node.js built-ins.',
);
const noNodeOnlyPackages = forbid(
  '^(onnxruntime-node|sharp|better-sqlite3|sqlite-vss|commander|cli-progress|onnx-proto)(/.*)?$',
  'This layer runs in a browser/sandbox context: no Node-only packages.',
);
const noOnnxRuntime = forbid(
  '^onnxruntime-node(/.*)?$',
  `Only ${onnxRuntimeGateway} may import onnxruntime-node; import what you need from it.`,
);
const noRenderer = forbid(
  '(^|/)src-renderer(/|$)',
  'The renderer is a separate bundle; share code via src-main/shared instead.',
);
const noAppOrPreload = [
  forbid(
    '(^|/)src-main/(app|preload)(/|$)',
    'src-main/app and src-main/preload are Electron-only; depend on engine/shared instead.',
  ),
  forbid(
    '^(\\.\\./)+(app|preload)(/|$)',
    'src-main/app and src-main/preload are Electron-only; depend on engine/shared instead.',
  ),
];
const noNativeModels = forbid(
  '(^|/)native-models(/|$)',
  'native-models is the offline model builder; this layer must not depend on it.',
);

/**
 * A layer must not import the layers built on top of it (src-main/<name>/…).
 * @param {string} layer @param {string[]} higher @returns {RestrictedPattern[]}
 */
const noHigherThan = (layer, higher) => [
  forbid(
    `(^|/)src-main/(${higher.join('|')})(/|$)`,
    `src-main/${layer} sits below ${higher.join(', ')}: it must not import them.`,
  ),
  forbid(
    `^(\\.\\./)+(${higher.join('|')})(/|$)`,
    `src-main/${layer} sits below ${higher.join(', ')}: it must not import them.`,
  ),
];

/**
 * One `no-restricted-imports` entry. A file matched by several config objects gets only the
 * last rule value (options are replaced, not merged), so each folder lists its full set.
 * @param {RestrictedPattern[]} patterns
 */
const restrictImports = (patterns) => ({
  'no-restricted-imports': ['error', { patterns }],
});

const layerRules = [
  {
    name: 'sightline/layers/shared',
    files: ['src-main/shared/**'],
    rules: restrictImports([
      noElectron,
      noNodeBuiltins,
      noNodeOnlyPackages,
      noRenderer,
      noNativeModels,
      forbid(
        '(^|/)src-main/(engine|cli|app|preload)(/|$)',
        'src-main/shared is the bottom layer: it imports no other part of the app.',
      ),
      forbid(
        '^(\\.\\./)+(engine|cli|app|preload)(/|$)',
        'src-main/shared is the bottom layer: it imports no other part of the app.',
      ),
    ]),
  },
  {
    name: 'sightline/layers/renderer',
    files: ['src-renderer/**'],
    rules: restrictImports([
      noElectron,
      noNodeBuiltins,
      noNodeOnlyPackages,
      noNativeModels,
      forbid(
        '(^|/)src-main/(?!shared(/|$))',
        'The renderer may import only src-main/shared (talk to the app via window.sightline).',
      ),
      forbid('(^|/)(build|test)(/|$)', 'The renderer must not import build scripts or tests.'),
    ]),
  },
  {
    name: 'sightline/layers/native-models',
    files: ['native-models/**'],
    rules: restrictImports([noElectron, noRenderer, ...noAppOrPreload, noOnnxRuntime]),
  },
  {
    name: 'sightline/layers/engine',
    files: ['src-main/engine/**'],
    rules: restrictImports([
      noElectron,
      noRenderer,
      ...noAppOrPreload,
      noOnnxRuntime,
      ...noHigherThan('engine', ['library', 'cli', 'service', 'transport']),
    ]),
  },
  {
    name: 'sightline/layers/engine-ort',
    files: [onnxRuntimeGateway],
    rules: restrictImports([noElectron, noRenderer, ...noAppOrPreload]),
  },
  {
    name: 'sightline/layers/library',
    files: ['src-main/library/**'],
    rules: restrictImports([
      noElectron,
      noRenderer,
      ...noAppOrPreload,
      noOnnxRuntime,
      ...noHigherThan('library', ['cli', 'service', 'transport']),
    ]),
  },
  {
    name: 'sightline/layers/service',
    files: ['src-main/service/**'],
    rules: restrictImports([
      noElectron,
      noRenderer,
      ...noAppOrPreload,
      noOnnxRuntime,
      ...noHigherThan('service', ['cli', 'transport']),
    ]),
  },
  {
    name: 'sightline/layers/transport',
    files: ['src-main/transport/**'],
    rules: restrictImports([
      noElectron,
      noRenderer,
      ...noAppOrPreload,
      noOnnxRuntime,
      ...noHigherThan('transport', ['cli']),
    ]),
  },
  {
    // The HTTP client of the contract runs in the browser too (the renderer under test).
    name: 'sightline/layers/transport-client',
    files: ['src-main/transport/http-app-api.ts', 'src-main/transport/sse.ts'],
    rules: restrictImports([
      noElectron,
      noNodeBuiltins,
      noNodeOnlyPackages,
      noRenderer,
      noNativeModels,
      forbid(
        '^(\\.\\./)+(?!shared/)[^.]',
        'The browser-side client may import only src-main/shared.',
      ),
    ]),
  },
  {
    name: 'sightline/layers/cli',
    files: ['src-main/cli/**'],
    rules: restrictImports([noElectron, noRenderer, ...noAppOrPreload, noOnnxRuntime]),
  },
  {
    name: 'sightline/layers/app',
    files: ['src-main/app/**'],
    rules: restrictImports([noRenderer, noOnnxRuntime]),
  },
  {
    // Sandboxed preloads can require() only 'electron'; everything else is bundled in, so
    // keep them to IPC forwarding.
    name: 'sightline/layers/preload',
    files: ['src-main/preload/**'],
    rules: restrictImports([
      noNodeBuiltins,
      noNodeOnlyPackages,
      noRenderer,
      noNativeModels,
      forbid(
        '(^|/)src-main/(engine|cli|app)(/|$)',
        'The preload forwards IPC calls only; it must not pull in main-process code.',
      ),
      forbid(
        '^(\\.\\./)+(engine|cli|app)(/|$)',
        'The preload forwards IPC calls only; it must not pull in main-process code.',
      ),
    ]),
  },
  {
    name: 'sightline/layers/build',
    files: ['build/**'],
    rules: restrictImports([noElectron, noRenderer, ...noAppOrPreload, noOnnxRuntime]),
  },
  {
    name: 'sightline/layers/test',
    files: ['test/**'],
    rules: restrictImports([noOnnxRuntime]),
  },
];

export default defineConfig([
  globalIgnores([
    'out/',
    'dist/',
    'coverage/',
    'node_modules/',
    'test/fixtures/',
    '.cache/',
    '.venv-bench/',
  ]),

  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  svelte.configs.recommended,

  {
    name: 'sightline/typescript',
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // Numbers in messages (`${shape[0]}`) are everywhere in tensor code and always fine.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // With noUncheckedIndexedAccess every typed-array read is `number | undefined`; in
      // loops whose bounds were just checked `data[i]!` is the honest idiom, while the usual
      // workaround (`data[i] ?? 0`) would silently hide an out-of-range bug.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `(x) => list.push(x)` style callbacks are clear enough; braces add nothing.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },

  {
    name: 'sightline/svelte',
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      globals: globals.browser,
      parserOptions: {
        parser: tseslint.parser,
        svelteConfig,
      },
    },
  },

  {
    name: 'sightline/node-globals',
    files: ['src-main/**', 'native-models/**', 'build/**', 'test/**', '*.ts', '*.js'],
    ignores: ['src-main/shared/**'],
    languageOptions: { globals: globals.node },
  },

  {
    name: 'sightline/browser-globals',
    files: ['src-renderer/**'],
    languageOptions: { globals: globals.browser },
  },

  {
    // Plain JS config files are not part of tsconfig.json, so type-aware rules cannot run.
    name: 'sightline/javascript',
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },

  ...layerRules,
]);
