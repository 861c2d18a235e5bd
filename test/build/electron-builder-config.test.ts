// electron-builder is not installed here (it cannot download Electron), so its configuration is
// checked as data: the things that break a packaged app silently (a native binary left inside
// app.asar, a missing target or file association) fail this test instead.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import JSON5 from 'json5';
import picomatch from 'picomatch';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hasImageExtension } from '../../src-main/app/open-files.ts';

const projectRoot = path.resolve(import.meta.dirname, '../..');

const oneOrMany = z.union([z.string(), z.array(z.string())]).transform((value) => [value].flat());
const targets = z.object({ target: oneOrMany });
const configSchema = z.object({
  appId: z.string(),
  productName: z.string(),
  files: z.array(z.string()),
  asarUnpack: z.array(z.string()),
  npmRebuild: z.boolean(),
  buildDependenciesFromSource: z.boolean(),
  fileAssociations: z.array(
    z.object({ ext: oneOrMany, name: z.string(), role: z.string(), mimeType: z.string() }),
  ),
  linux: targets,
  mac: targets,
  win: targets,
});

const config = configSchema.parse(
  JSON5.parse(readFileSync(path.join(projectRoot, 'electron-builder.json5'), 'utf8')),
);

const packageJsonSchema = z.object({
  main: z.string().optional(),
  dependencies: z.record(z.string(), z.string()).optional(),
  optionalDependencies: z.record(z.string(), z.string()).optional(),
});

function readPackageJson(dir: string): z.infer<typeof packageJsonSchema> {
  return packageJsonSchema.parse(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')));
}

/** Node's lookup: the dependent's own node_modules first, then each parent's up to the root. */
function resolvePackageDir(name: string, fromDir: string): string | null {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === projectRoot || dir === path.dirname(dir)) return null;
  }
}

/** Folders of every installed package the app ships: production dependencies, transitively. */
function productionPackageDirs(): string[] {
  const seen = new Set<string>();
  const visit = (dir: string): void => {
    const manifest = readPackageJson(dir);
    const names = [
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
    ];
    for (const name of names) {
      const resolved = resolvePackageDir(name, dir);
      // Optional platform packages for other systems are simply not installed.
      if (resolved === null || seen.has(resolved)) continue;
      seen.add(resolved);
      visit(resolved);
    }
  };
  visit(projectRoot);
  return [...seen];
}

const NATIVE_BINARY = /\.(node|dll|dylib)$|\.so(\.[0-9.]+)?$/;

/** Native binaries inside one package, skipping nested node_modules (visited on their own). */
function nativeBinaries(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') found.push(...nativeBinaries(full));
    else if (entry.isFile() && NATIVE_BINARY.test(entry.name)) found.push(full);
  }
  return found;
}

const shippedBinaries = productionPackageDirs()
  .flatMap(nativeBinaries)
  .map((file) => path.relative(projectRoot, file).split(path.sep).join('/'));

// electron-builder matches asarUnpack with minimatch against paths relative to the app root;
// picomatch agrees with it for these plain globs.
const isUnpacked = picomatch(config.asarUnpack, { dot: true });

describe('electron-builder configuration', () => {
  it('names the app', () => {
    expect(config.productName).toBe('Sightline');
    expect(config.appId).toMatch(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*){2,}$/);
  });

  it('builds AppImage + deb, dmg and nsis', () => {
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.mac.target).toContain('dmg');
    expect(config.win.target).toContain('nsis');
  });

  it('packages the electron-vite output, including the main entry of package.json', () => {
    expect(config.files).toContain('out/**');
    const main = readPackageJson(projectRoot).main;
    expect(main).toBeDefined();
    expect(picomatch(config.files.filter((glob) => !glob.startsWith('!')))(main!)).toBe(true);
  });

  it('leaves out the development-only Electron build of better-sqlite3', () => {
    const included = picomatch(config.files.filter((glob) => !glob.startsWith('!')));
    const excluded = picomatch(
      config.files.filter((glob) => glob.startsWith('!')).map((glob) => glob.slice(1)),
    );
    const packaged = (file: string): boolean => included(file) && !excluded(file);
    expect(packaged('out/main/service.js')).toBe(true);
    expect(packaged('out/electron-native/45.5.0/better_sqlite3.node')).toBe(false);
  });

  it('rebuilds better-sqlite3 for Electron, from prebuilt binaries when possible', () => {
    expect(config.npmRebuild).toBe(true);
    expect(config.buildDependenciesFromSource).toBe(false);
  });

  it('associates every photo type as a viewer, each one a type the app opens', () => {
    const associated = config.fileAssociations.flatMap((association) => {
      expect(association.role).toBe('Viewer');
      expect(association.mimeType).toMatch(/^image\//);
      return association.ext;
    });
    const wanted = ['jpg', 'jpeg', 'png', 'webp', 'heic', 'heif', 'avif', 'tif', 'tiff'];
    expect([...associated].sort()).toEqual([...wanted].sort());
    for (const extension of associated) expect(hasImageExtension(`photo.${extension}`)).toBe(true);
  });
});

describe('asarUnpack', () => {
  it('finds the native binaries of our native dependencies (the scan itself works)', () => {
    const packagesWithBinaries = new Set(
      shippedBinaries.map((file) => /^node_modules\/((@[^/]+\/)?[^/]+)/.exec(file)?.[1]),
    );
    expect(packagesWithBinaries).toContain('better-sqlite3');
    expect(packagesWithBinaries).toContain('onnxruntime-node');
    expect([...packagesWithBinaries].some((name) => name?.startsWith('@img/sharp-'))).toBe(true);
  });

  it('unpacks every native binary the app ships', () => {
    const packed = shippedBinaries.filter((file) => !isUnpacked(file));
    expect(packed).toEqual([]);
  });

  it('unpacks the sharp/libvips packages whole (the addon finds libvips by relative path)', () => {
    const sharpFiles = shippedBinaries.filter((file) => file.startsWith('node_modules/@img/'));
    for (const file of sharpFiles) {
      const packageDir = file.split('/').slice(0, 3).join('/');
      expect(isUnpacked(`${packageDir}/package.json`), packageDir).toBe(true);
    }
  });

  it('unpacks the main bundle, whose service process and workers start from real files', () => {
    for (const file of ['out/main/index.js', 'out/main/service.js', 'out/main/decode-worker.js']) {
      expect(isUnpacked(file), file).toBe(true);
    }
  });

  it('unpacks every file the main build emits, when one is present', () => {
    const outMain = path.join(projectRoot, 'out/main');
    const emitted = existsSync(outMain) ? readdirSync(outMain, { recursive: true }) : [];
    for (const file of emitted.map(String)) {
      const relative = `out/main/${file.split(path.sep).join('/')}`;
      expect(isUnpacked(relative), relative).toBe(true);
    }
  });

  it('leaves the renderer, the preload and ordinary dependencies inside the archive', () => {
    expect(isUnpacked('node_modules/zod/index.js')).toBe(false);
    expect(isUnpacked('out/renderer/index.html')).toBe(false);
    expect(isUnpacked('out/preload/index.cjs')).toBe(false);
    expect(isUnpacked('out/mainstream.js')).toBe(false);
  });
});
