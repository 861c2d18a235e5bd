/**
 * Streams generated text so that the pieces concatenate to exactly the final, trimmed text:
 * the captioner's result is `decode(ids).trim()`, while the raw stream starts with the space of
 * the first word and ends with OPT's "\n" end-of-sequence token. Leading whitespace is dropped;
 * whitespace is held back until something else follows it, and dropped at the end.
 */
export class TrimmedTextStream {
  private started = false;
  private heldWhitespace = '';

  constructor(private readonly emit: (text: string) => void) {}

  push(piece: string): void {
    let text = piece;
    if (!this.started) {
      text = text.trimStart();
      if (text === '') return;
      this.started = true;
    }
    const body = text.trimEnd();
    const tail = text.slice(body.length);
    if (body === '') {
      this.heldWhitespace += tail;
      return;
    }
    this.emit(this.heldWhitespace + body);
    this.heldWhitespace = tail;
  }
}
