import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { developmentSqliteBinding } from '../../../src-main/app/electron-native-binding.ts';

const appRoot = mkdtempSync(join(tmpdir(), 'sightline-binding-'));
afterAll(() => rmSync(appRoot, { recursive: true, force: true }));

describe('developmentSqliteBinding', () => {
  it('is the addon built for this Electron version, or undefined', () => {
    const dir = join(appRoot, 'out', 'electron-native', '45.5.0');
    expect(developmentSqliteBinding(appRoot, '45.5.0')).toBeUndefined();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'better_sqlite3.node'), '');
    expect(developmentSqliteBinding(appRoot, '45.5.0')).toBe(join(dir, 'better_sqlite3.node'));
    expect(developmentSqliteBinding(appRoot, '46.0.0')).toBeUndefined();
  });
});
