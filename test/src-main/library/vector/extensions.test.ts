import { describe, expect, it } from 'vitest';
import { asarUnpackedPath } from '../../../../src-main/library/vector/extensions.ts';

describe('asarUnpackedPath', () => {
  it('points a file inside app.asar at the unpacked copy beside it', () => {
    expect(
      asarUnpackedPath(
        '/opt/Sightline/resources/app.asar/node_modules/sqlite-vec-linux-x64/vec0.so',
      ),
    ).toBe('/opt/Sightline/resources/app.asar.unpacked/node_modules/sqlite-vec-linux-x64/vec0.so');
  });

  it('handles Windows paths', () => {
    expect(asarUnpackedPath('C:\\Sightline\\resources\\app.asar\\node_modules\\x\\vss0.dll')).toBe(
      'C:\\Sightline\\resources\\app.asar.unpacked\\node_modules\\x\\vss0.dll',
    );
  });

  it('leaves paths outside an archive alone', () => {
    for (const path of [
      '/home/me/sightline/node_modules/sqlite-vss-linux-x64/lib/vss0.so',
      '/opt/resources/app.asar.unpacked/node_modules/x/vec0.so',
      '/home/me/myapp.asar/vec0.so',
    ]) {
      expect(asarUnpackedPath(path)).toBe(path);
    }
  });
});
