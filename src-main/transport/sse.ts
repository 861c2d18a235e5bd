// Server-Sent Events framing, shared by the loopback server and its client. No Node or DOM
// APIs, so the client works in a browser and in Node alike (EventSource exists only in browsers).

/** One event carrying a JSON payload on a single `data:` line (JSON never contains raw newlines). */
export function sseEvent(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

/** A comment line: ignored by parsers, keeps proxies and idle timers from closing the stream. */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/**
 * Incremental parser for the `data` field of an event stream (WHATWG HTML §9.2.6): lines end in
 * CRLF, LF or CR; an empty line dispatches the event; several `data:` lines join with "\n";
 * comments and other fields are ignored. Chunks may split lines anywhere.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private sawCarriageReturn = false;

  constructor(private readonly onData: (data: string) => void) {}

  push(chunk: string): void {
    let text = chunk;
    // A CRLF split across two chunks: the LF belongs to the line the CR already ended.
    if (this.sawCarriageReturn && text.startsWith('\n')) text = text.slice(1);
    this.sawCarriageReturn = text.endsWith('\r');
    this.buffer += text;
    const lines = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.onData(this.data.join('\n'));
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
  }
}
