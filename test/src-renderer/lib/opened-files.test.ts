import { describe, expect, it } from 'vitest';
import type { OpenedFile } from '../../../src-main/shared/contract.ts';
import { addOpened, dropOpened } from '../../../src-renderer/lib/opened-files.ts';

const file = (n: number): OpenedFile => ({ path: `/elsewhere/${n}.jpg`, url: `x://opened/${n}` });

describe('addOpened', () => {
  it('puts the latest batch first, in its own order', () => {
    expect(addOpened([file(1)], [file(2), file(3)])).toEqual([file(2), file(3), file(1)]);
  });

  it('shows a file announced twice once', () => {
    expect(addOpened([file(1)], [file(1), file(2), file(2)])).toEqual([file(2), file(1)]);
  });
});

describe('dropOpened', () => {
  it('removes the file with that url only', () => {
    expect(dropOpened([file(1), file(2)], file(1).url)).toEqual([file(2)]);
    expect(dropOpened([file(1)], 'x://opened/9')).toEqual([file(1)]);
  });
});
