// XML character-data helpers. Kept separate from the parser so the writer can share the exact
// escaping rules the reader undoes.

/** Thrown for syntax the XMP code cannot read safely; `offset` points into the source string. */
export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at character ${offset})`);
    this.name = 'XmlSyntaxError';
  }
}

const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

/**
 * Expands the five predefined entities and numeric character references. Any other entity is an
 * error: XMP forbids DTDs, so an unknown name means we would be guessing at its meaning.
 */
export function decodeReferences(raw: string, offset: number): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&<\s]*);?/g, (match, body: string, at: number) => {
    if (!match.endsWith(';'))
      throw new XmlSyntaxError(`Unterminated reference "${match}"`, offset + at);
    const named = PREDEFINED_ENTITIES[body];
    if (named !== undefined) return named;
    const numeric = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(body);
    if (numeric?.[1] === undefined)
      throw new XmlSyntaxError(`Unknown entity "&${body};"`, offset + at);
    const digits = numeric[1];
    const code = digits.startsWith('x') ? parseInt(digits.slice(1), 16) : parseInt(digits, 10);
    if (!isXmlChar(code))
      throw new XmlSyntaxError(`Invalid character reference "&${body};"`, offset + at);
    return String.fromCodePoint(code);
  });
}

function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/**
 * Drops characters XML 1.0 cannot carry at all, not even as references (C0 controls, lone
 * surrogates, U+FFFE/U+FFFF): a caption containing one must not produce a file no reader accepts.
 */
export function stripNonXmlChars(text: string): string {
  let result = '';
  for (const char of text) if (isXmlChar(char.codePointAt(0) ?? 0)) result += char;
  return result;
}

/**
 * Escapes text for use as element content (quotes too, so it is also safe in a double-quoted
 * attribute without line breaks). `\r` becomes a reference because a parser would otherwise
 * normalise it to `\n`, breaking round-trips.
 */
export function escapeXml(text: string): string {
  return stripNonXmlChars(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\r/g, '&#xD;');
}
