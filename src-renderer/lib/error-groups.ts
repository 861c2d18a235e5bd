// Failed files grouped by their human reason, the largest group first, so one action can deal
// with every file that failed the same way.
import type { FileError, FileErrorKind } from '../../src-main/shared/contract.ts';

export interface FileErrorGroup {
  kind: FileErrorKind;
  summary: string;
  files: FileError[];
}

export function groupFileErrors(errors: readonly FileError[]): FileErrorGroup[] {
  const groups = new Map<FileErrorKind, FileErrorGroup>();
  for (const error of errors) {
    const group = groups.get(error.kind) ?? { kind: error.kind, summary: error.summary, files: [] };
    group.files.push(error);
    groups.set(error.kind, group);
  }
  return [...groups.values()].sort(
    (a, b) => b.files.length - a.files.length || a.summary.localeCompare(b.summary),
  );
}
