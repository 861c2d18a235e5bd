// Non-overlapping replacements of ranges of a source string, applied in one pass. Editing by
// splices (rather than re-serialising a tree) is what keeps untouched bytes identical.

export interface Splice {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export function applySplices(source: string, splices: readonly Splice[]): string {
  // Back to front so earlier offsets stay valid. On equal starts the wider splice goes first, so
  // a pure insertion at the same point ends up in front of it.
  const ordered = [...splices].sort((a, b) => b.start - a.start || b.end - a.end);
  let result = source;
  let limit = source.length;
  for (const splice of ordered) {
    if (splice.end > limit || splice.start > splice.end) {
      throw new Error(`Overlapping edits at ${splice.start}..${splice.end}`);
    }
    result = result.slice(0, splice.start) + splice.text + result.slice(splice.end);
    limit = splice.start;
  }
  return result;
}

/** Indentation of the line `pos` starts on, if only spaces/tabs precede it there; else ''. */
export function lineIndentAt(source: string, pos: number): string {
  let i = pos;
  while (i > 0 && (source[i - 1] === ' ' || source[i - 1] === '\t')) i--;
  return i === 0 || source[i - 1] === '\n' ? source.slice(i, pos) : '';
}
