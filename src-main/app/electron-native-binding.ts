import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * better-sqlite3 built for Electron by build/electron-native.mjs, for `npm start` from a
 * checkout (node_modules holds the Node build the tests use). Undefined when it was not built,
 * and in a packaged app, whose node_modules electron-builder already rebuilt for Electron.
 */
export function developmentSqliteBinding(
  appRoot: string,
  electronVersion: string,
): string | undefined {
  const binding = join(appRoot, 'out', 'electron-native', electronVersion, 'better_sqlite3.node');
  return existsSync(binding) ? binding : undefined;
}
