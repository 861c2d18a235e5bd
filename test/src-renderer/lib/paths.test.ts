import { describe, expect, it } from 'vitest';
import { baseName, parentPath } from '../../../src-renderer/lib/paths.ts';

describe('baseName', () => {
  it('takes the last segment of POSIX and Windows paths', () => {
    expect(baseName('/tmp/sightline-e2e-x/photos/library')).toBe('library');
    expect(baseName('C:\\Users\\me\\Pictures')).toBe('Pictures');
    expect(baseName('/home/me/cat.jpg')).toBe('cat.jpg');
  });

  it('ignores trailing separators', () => {
    expect(baseName('/home/me/Pictures/')).toBe('Pictures');
    expect(baseName('D:\\Photos\\\\')).toBe('Photos');
  });

  it('keeps a path without segments as it is', () => {
    expect(baseName('/')).toBe('/');
    expect(baseName('photo.png')).toBe('photo.png');
  });
});

describe('parentPath', () => {
  it('drops the last segment', () => {
    expect(parentPath('/a/b/c.jpg')).toBe('/a/b');
    expect(parentPath('C:\\a\\b.jpg')).toBe('C:\\a');
    expect(parentPath('/c.jpg')).toBe('/');
    expect(parentPath('c.jpg')).toBe('');
  });
});
