import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLibraryDatabase, schemaVersion } from '../../../../src-main/library/db/database.ts';
import { MIGRATIONS } from '../../../../src-main/library/db/migrations.ts';

const require = createRequire(import.meta.url);
const packageDir = dirname(require.resolve('better-sqlite3/package.json'));

describe('openLibraryDatabase: nativeBinding', () => {
  it('loads better-sqlite3 from the given addon file', () => {
    const binding = join(packageDir, 'build', 'Release', 'better_sqlite3.node');
    const db = openLibraryDatabase(':memory:', { nativeBinding: binding });
    try {
      expect(schemaVersion(db)).toBe(Math.max(...MIGRATIONS.map((m) => m.version)));
    } finally {
      db.close();
    }
  });

  it('uses exactly that file: a missing one fails', () => {
    const missing = join(packageDir, 'no-such-addon.node');
    expect(() => openLibraryDatabase(':memory:', { nativeBinding: missing })).toThrow(
      /no-such-addon/,
    );
  });
});
