// Display helpers for file paths: the renderer shows names, with the full path kept as a title.

/** The last segment of a POSIX or Windows path ("/a/b/" → "b"); the path itself when it has none. */
export function baseName(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '');
  const segments = trimmed.split(/[\\/]/);
  const last = segments[segments.length - 1] ?? '';
  return last === '' ? path : last;
}

/** The folder holding `path` ("/a/b/c.jpg" → "/a/b"); empty when there is none. */
export function parentPath(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '');
  const cut = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  if (cut < 0) return '';
  return cut === 0 ? trimmed.slice(0, 1) : trimmed.slice(0, cut);
}
