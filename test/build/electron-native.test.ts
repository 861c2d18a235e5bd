import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildElectronSqlite,
  buildEnvironment,
  electronBindingPath,
  isBuiltForNode,
  nodeGypArgs,
  prebuildInstallArgs,
  type Runner,
} from '../../build/electron-native.mjs';
import { developmentSqliteBinding } from '../../src-main/app/electron-native-binding.ts';

const VERSION = '45.5.0';
let appRoot: string;

/** A fake app: node_modules/better-sqlite3 with a Node build, prebuild-install and node-gyp. */
beforeEach(() => {
  appRoot = mkdtempSync(join(tmpdir(), 'sightline-native-'));
  const pkg = join(appRoot, 'node_modules', 'better-sqlite3');
  mkdirSync(join(pkg, 'build', 'Release'), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), '{"name":"better-sqlite3","version":"1.0.0"}');
  writeFileSync(join(pkg, 'build', 'Release', 'better_sqlite3.node'), 'node abi');
  mkdirSync(join(appRoot, 'node_modules', 'prebuild-install'), { recursive: true });
  writeFileSync(join(appRoot, 'node_modules', 'prebuild-install', 'bin.js'), '');
  mkdirSync(join(appRoot, 'node_modules', 'node-gyp', 'bin'), { recursive: true });
  writeFileSync(join(appRoot, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), '');
});
afterEach(() => rmSync(appRoot, { recursive: true, force: true }));

/** Records calls; `succeedWith` says which tool "builds" the addon into the package copy. */
function fakeRunner(succeedWith: 'prebuild-install' | 'node-gyp' | null) {
  const calls: { script: string; args: string[]; cwd: string }[] = [];
  const run: Runner = (_command, [script = '', ...args], cwd) => {
    calls.push({ script, args, cwd });
    const tool = script.includes('prebuild-install') ? 'prebuild-install' : 'node-gyp';
    if (tool !== succeedWith) return false;
    mkdirSync(join(cwd, 'build', 'Release'), { recursive: true });
    writeFileSync(join(cwd, 'build', 'Release', 'better_sqlite3.node'), `electron abi (${tool})`);
    return true;
  };
  return { run, calls };
}

describe('electron-native: building better-sqlite3 for Electron', () => {
  it('passes the Electron runtime and version to both tools', () => {
    expect(prebuildInstallArgs(VERSION)).toEqual(['--runtime', 'electron', '--target', VERSION]);
    expect(nodeGypArgs(VERSION)).toEqual([
      'rebuild',
      '--release',
      '--runtime=electron',
      `--target=${VERSION}`,
      '--dist-url=https://electronjs.org/headers',
    ]);
  });

  it('builds in a copy without the Node build, and leaves node_modules untouched', () => {
    const { run, calls } = fakeRunner('prebuild-install');
    const outcome = buildElectronSqlite({ appRoot, electronVersion: VERSION, run });
    expect(outcome).toEqual({ binding: electronBindingPath(appRoot, VERSION), built: true });
    expect(readFileSync(outcome.binding, 'utf8')).toBe('electron abi (prebuild-install)');
    const copy = join(appRoot, 'out', 'electron-native', VERSION, 'better-sqlite3');
    expect(calls).toEqual([
      {
        script: expect.stringContaining('prebuild-install') as unknown,
        args: prebuildInstallArgs(VERSION),
        cwd: copy,
      },
    ]);
    expect(existsSync(join(copy, 'package.json'))).toBe(true);
    const nodeBuild = join(appRoot, 'node_modules', 'better-sqlite3', 'build', 'Release');
    expect(readFileSync(join(nodeBuild, 'better_sqlite3.node'), 'utf8')).toBe('node abi');
  });

  it('skips all work when the addon already exists', () => {
    buildElectronSqlite({
      appRoot,
      electronVersion: VERSION,
      run: fakeRunner('prebuild-install').run,
    });
    const { run, calls } = fakeRunner(null);
    expect(buildElectronSqlite({ appRoot, electronVersion: VERSION, run })).toEqual({
      binding: electronBindingPath(appRoot, VERSION),
      built: false,
    });
    expect(calls).toEqual([]);
  });

  it('falls back to node-gyp when no prebuilt addon can be had', () => {
    const { run, calls } = fakeRunner('node-gyp');
    const outcome = buildElectronSqlite({ appRoot, electronVersion: VERSION, run });
    expect(readFileSync(outcome.binding, 'utf8')).toBe('electron abi (node-gyp)');
    expect(calls.map((c) => c.args)).toEqual([prebuildInstallArgs(VERSION), nodeGypArgs(VERSION)]);
  });

  it("keeps npm's nodedir/target settings away from the build tools", () => {
    // Under `npm start`, Debian's npm exports npm_config_nodedir=/usr, and node-gyp then builds
    // against the running Node's headers whatever --target says.
    const env = buildEnvironment({
      PATH: '/usr/bin',
      npm_config_nodedir: '/usr',
      NPM_CONFIG_TARGET: '20.0.0',
      npm_config_runtime: 'node',
      npm_config_disturl: 'https://nodejs.org/dist',
      npm_config_cache: '/root/.npm',
    });
    expect(env).toEqual({ PATH: '/usr/bin', npm_config_cache: '/root/.npm' });
  });

  it('recognises an addon built for this Node (the installed better-sqlite3 is one)', () => {
    const nodeAddon = join(
      import.meta.dirname,
      '..',
      '..',
      'node_modules',
      'better-sqlite3',
      'build',
      'Release',
      'better_sqlite3.node',
    );
    expect(isBuiltForNode(nodeAddon, process.versions.modules)).toBe(true);
    expect(isBuiltForNode(nodeAddon, String(Number(process.versions.modules) + 1))).toBe(false);
  });

  it('refuses an addon that a tool built for Node instead of Electron', () => {
    const run: Runner = (_command, _args, cwd) => {
      mkdirSync(join(cwd, 'build', 'Release'), { recursive: true });
      writeFileSync(
        join(cwd, 'build', 'Release', 'better_sqlite3.node'),
        `\0node_register_module_v${process.versions.modules}\0`,
      );
      return true;
    };
    expect(() => buildElectronSqlite({ appRoot, electronVersion: VERSION, run })).toThrow(
      /built better-sqlite3 for Node .*, not Electron 45\.5\.0/,
    );
    expect(existsSync(electronBindingPath(appRoot, VERSION))).toBe(false);
  });

  it('fails with a message that names the tools, the hosts and the expected file', () => {
    const { run } = fakeRunner(null);
    expect(() => buildElectronSqlite({ appRoot, electronVersion: VERSION, run })).toThrow(
      /could not build better-sqlite3 for Electron 45\.5\.0[\s\S]*github\.com[\s\S]*electronjs\.org[\s\S]*out\/electron-native\/45\.5\.0\/better_sqlite3\.node/,
    );
    expect(existsSync(electronBindingPath(appRoot, VERSION))).toBe(false);
  });
});

describe('developmentSqliteBinding', () => {
  it('finds the addon exactly where the build script leaves it, once it exists', () => {
    expect(developmentSqliteBinding(appRoot, VERSION)).toBeUndefined();
    buildElectronSqlite({ appRoot, electronVersion: VERSION, run: fakeRunner('node-gyp').run });
    expect(developmentSqliteBinding(appRoot, VERSION)).toBe(electronBindingPath(appRoot, VERSION));
    expect(developmentSqliteBinding(appRoot, '1.0.0')).toBeUndefined();
  });
});
