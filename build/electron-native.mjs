// `npm start` runs Electron, whose Node ABI differs from the Node that runs the tests, and
// better-sqlite3 is not an N-API addon (onnxruntime-node and sharp are, and load as they are).
// So for development the addon is built once per Electron version into
//   out/electron-native/<electron version>/better_sqlite3.node
// from a copy of the package, leaving node_modules (the Node build the tests use) untouched.
// The service loads it through better-sqlite3's `nativeBinding` option (see
// src-main/app/electron-native-binding.ts). Packaged apps get theirs from electron-builder.
//
// Usage: node build/electron-native.mjs [electron version]   (default: the installed electron)
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BINDING_FILE = 'better_sqlite3.node';
const ELECTRON_HEADERS = 'https://electronjs.org/headers';

/** @param {string} appRoot @param {string} electronVersion */
export function electronNativeDir(appRoot, electronVersion) {
  return join(appRoot, 'out', 'electron-native', electronVersion);
}

/** @param {string} appRoot @param {string} electronVersion */
export function electronBindingPath(appRoot, electronVersion) {
  return join(electronNativeDir(appRoot, electronVersion), BINDING_FILE);
}

/** @param {string} electronVersion */
export function prebuildInstallArgs(electronVersion) {
  return ['--runtime', 'electron', '--target', electronVersion];
}

/** @param {string} electronVersion */
export function nodeGypArgs(electronVersion) {
  return [
    'rebuild',
    '--release',
    '--runtime=electron',
    `--target=${electronVersion}`,
    `--dist-url=${ELECTRON_HEADERS}`,
  ];
}

/**
 * node-gyp: the project's own if installed, else the one npm ships (npm sets
 * npm_config_node_gyp inside scripts).
 * @param {string} appRoot
 */
function nodeGypScript(appRoot) {
  const candidates = [
    join(appRoot, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    process.env.npm_config_node_gyp,
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  return candidates.find((path) => path !== undefined && existsSync(path));
}

/**
 * @typedef {(command: string, args: string[], cwd: string) => boolean} Runner
 *   Runs a command; true when it exited 0.
 * @typedef {{ binding: string, built: boolean }} Outcome
 */

/**
 * npm exports its config to scripts as npm_config_*; a `nodedir` there (Debian's npm sets
 * /usr) makes node-gyp build against the running Node's headers whatever --target says.
 * @param {NodeJS.ProcessEnv} env
 */
export function buildEnvironment(env) {
  const overriding = /^npm_config_(nodedir|target|runtime|disturl|dist_url)$/i;
  return Object.fromEntries(Object.entries(env).filter(([name]) => !overriding.test(name)));
}

/** @type {Runner} */
const runInherited = (command, args, cwd) =>
  spawnSync(command, args, { cwd, stdio: 'inherit', env: buildEnvironment(process.env) }).status ===
  0;

/**
 * An addon registers itself as `node_register_module_v<ABI>`. Electron's ABI numbers are its
 * own, never Node's, so an addon carrying the running Node's ABI was built for the wrong runtime.
 * @param {string} addonPath
 * @param {string} nodeAbi  process.versions.modules of the Node running this script
 */
export function isBuiltForNode(addonPath, nodeAbi) {
  return readFileSync(addonPath).includes(`node_register_module_v${nodeAbi}\0`);
}

/**
 * Builds (once) better-sqlite3 for Electron `electronVersion`.
 * @param {{ appRoot: string, electronVersion: string, run?: Runner }} options
 * @returns {Outcome}
 */
export function buildElectronSqlite({ appRoot, electronVersion, run = runInherited }) {
  const binding = electronBindingPath(appRoot, electronVersion);
  if (existsSync(binding)) return { binding, built: false };

  const source = join(appRoot, 'node_modules', 'better-sqlite3');
  if (!existsSync(join(source, 'package.json'))) {
    throw new Error(`${source} is missing: run npm install first`);
  }
  const copy = join(electronNativeDir(appRoot, electronVersion), 'better-sqlite3');
  rmSync(copy, { recursive: true, force: true });
  // Without build/: that is the Node addon, and a stale one must never pass for Electron's.
  const nodeBuild = join(source, 'build');
  cpSync(source, copy, {
    recursive: true,
    filter: (path) => path !== nodeBuild && !path.startsWith(nodeBuild + sep),
  });

  const prebuildInstall = join(appRoot, 'node_modules', 'prebuild-install', 'bin.js');
  const gyp = nodeGypScript(appRoot);
  const attempts = [
    {
      what: 'prebuild-install (downloads a prebuilt addon from github.com)',
      script: prebuildInstall,
      args: prebuildInstallArgs(electronVersion),
    },
    {
      what: `node-gyp (downloads Electron's headers from ${ELECTRON_HEADERS}, needs a C++ toolchain)`,
      script: gyp,
      args: nodeGypArgs(electronVersion),
    },
  ];
  const built = join(copy, 'build', 'Release', BINDING_FILE);
  for (const attempt of attempts) {
    if (!attempt.script || !existsSync(attempt.script)) continue;
    if (run(process.execPath, [attempt.script, ...attempt.args], copy) && existsSync(built)) {
      if (isBuiltForNode(built, process.versions.modules)) {
        throw new Error(
          `${attempt.what} built better-sqlite3 for Node ${process.version}, not Electron ` +
            `${electronVersion}; check npm's nodedir/target settings (npm config list)`,
        );
      }
      mkdirSync(dirname(binding), { recursive: true });
      copyFileSync(built, binding);
      return { binding, built: true };
    }
  }
  throw new Error(
    [
      `could not build better-sqlite3 for Electron ${electronVersion}. Tried:`,
      ...attempts.map((a) => `  - ${a.what}${a.script ? '' : ' (not found)'}`),
      'Both need network access to those hosts. Until the addon exists, `npm start`',
      `cannot open the library database; tests and the CLI do not need it. Expected file: ${relative(appRoot, binding)}`,
    ].join('\n'),
  );
}

/** @param {string} appRoot */
export function installedElectronVersion(appRoot) {
  const manifest = join(appRoot, 'node_modules', 'electron', 'package.json');
  return /** @type {{ version: string }} */ (JSON.parse(readFileSync(manifest, 'utf8'))).version;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const appRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const electronVersion = process.argv[2] ?? installedElectronVersion(appRoot);
  try {
    const { binding, built } = buildElectronSqlite({ appRoot, electronVersion });
    console.log(`${built ? 'built' : 'already built'}: ${relative(appRoot, binding)}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
