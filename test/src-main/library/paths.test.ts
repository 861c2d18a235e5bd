import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defaultDataDir,
  defaultDatabasePath,
  defaultModelsDir,
  defaultThumbnailDir,
  resolveModelDir,
} from '../../../src-main/library/paths.ts';

describe('app data paths', () => {
  it('follows SIGHTLINE_HOME, then each platform’s convention', () => {
    const home = '/home/ann';
    expect(defaultDataDir({ env: { SIGHTLINE_HOME: '/x' }, platform: 'linux', home })).toBe('/x');
    expect(defaultDataDir({ env: {}, platform: 'linux', home })).toBe(
      '/home/ann/.local/share/sightline',
    );
    expect(defaultDataDir({ env: { XDG_DATA_HOME: '/data' }, platform: 'linux', home })).toBe(
      '/data/sightline',
    );
    expect(defaultDataDir({ env: {}, platform: 'darwin', home: '/Users/ann' })).toBe(
      '/Users/ann/Library/Application Support/Sightline',
    );
    expect(
      defaultDataDir({
        env: { APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' },
        platform: 'win32',
        home: 'C:\\Users\\ann',
      }),
    ).toBe('C:\\Users\\ann\\AppData\\Roaming\\Sightline');
  });

  it('puts the database, thumbnails and models inside it', () => {
    const context = { env: { SIGHTLINE_HOME: '/s' }, platform: 'linux' as const };
    expect(defaultDatabasePath(context)).toBe('/s/library.db');
    expect(defaultThumbnailDir(undefined, context)).toBe('/s/thumbnails');
    expect(defaultThumbnailDir('/elsewhere/my.db', context)).toBe('/elsewhere/thumbnails');
    expect(defaultModelsDir(context)).toBe('/s/models');
  });

  it('resolves model folders and explains how to get a missing one', () => {
    const home = mkdtempSync(join(tmpdir(), 'sightline-home-'));
    try {
      const context = { env: { SIGHTLINE_HOME: home }, platform: process.platform };
      expect(() => resolveModelDir('search', undefined, context)).toThrow(
        /no converted model at .*blip2-itm-vit-g.*Salesforce\/blip2-itm-vit-g.*sightline models convert/,
      );
      const dir = join(home, 'models', 'blip2-opt-2.7b');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'sightline-manifest.json'), '{}');
      expect(resolveModelDir('caption', undefined, context)).toBe(dir);
      expect(() => resolveModelDir('caption', join(home, 'other'), context)).toThrow(/other/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
