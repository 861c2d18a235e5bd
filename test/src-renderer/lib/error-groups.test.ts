import { describe, expect, it } from 'vitest';
import type { FileError, FileErrorKind } from '../../../src-main/shared/contract.ts';
import { groupFileErrors } from '../../../src-renderer/lib/error-groups.ts';

const failed = (path: string, kind: FileErrorKind): FileError => ({
  path,
  reason: `raw ${kind}`,
  stage: 'decode',
  kind,
  summary: `summary of ${kind}`,
  detail: kind,
});

describe('groupFileErrors', () => {
  it('groups by reason, largest group first, files in their order', () => {
    const groups = groupFileErrors([
      failed('/a.jpg', 'empty'),
      failed('/b.jpg', 'truncated'),
      failed('/c.jpg', 'truncated'),
      failed('/d.jpg', 'corrupt'),
    ]);
    expect(groups.map((g) => [g.kind, g.files.map((f) => f.path)])).toEqual([
      ['truncated', ['/b.jpg', '/c.jpg']],
      ['corrupt', ['/d.jpg']],
      ['empty', ['/a.jpg']],
    ]);
    expect(groups[0]?.summary).toBe('summary of truncated');
  });

  it('has no groups without errors', () => {
    expect(groupFileErrors([])).toEqual([]);
  });
});
