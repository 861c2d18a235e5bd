import { describe, expect, it } from 'vitest';
import { TrimmedTextStream } from '../../../src-main/service/trimmed-text-stream.ts';

function stream(pieces: readonly string[]): string[] {
  const out: string[] = [];
  const trimmed = new TrimmedTextStream((text) => out.push(text));
  for (const piece of pieces) trimmed.push(piece);
  return out;
}

describe('TrimmedTextStream', () => {
  it('streams pieces that concatenate to the trimmed text', () => {
    const cases = [
      [' a', ' cat', ' on', ' a', ' mat', '\n'],
      ['  ', ' ', 'two', '  ', ' words', ' \n', '\n'],
      ['\n'],
      [],
      ['x'],
    ];
    for (const pieces of cases) {
      const out = stream(pieces);
      expect(out.join('')).toBe(pieces.join('').trim());
      expect(out.every((piece) => piece !== '')).toBe(true);
    }
  });

  it('emits each word as soon as it arrives', () => {
    expect(stream([' a', ' cat', '\n'])).toEqual(['a', ' cat']);
  });
});
