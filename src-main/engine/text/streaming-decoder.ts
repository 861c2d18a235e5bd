import type { TextTokenizer } from './tokenizer.ts';

/**
 * Incremental detokenizer for generation, in the spirit of HF `TextStreamer`: feed generated ids
 * one at a time per batch row, get back only text that can no longer change.
 *
 * Byte-level BPE tokens can end in the middle of a UTF-8 sequence; decoding such a prefix yields a
 * trailing U+FFFD that turns into a real character once the next token arrives. Trailing U+FFFD
 * characters are therefore held back until more text follows them or the row ends.
 *
 * Each row's ids are re-decoded as a whole on every step (captions are a few dozen tokens), which
 * keeps the output identical to `decode(allIds)` for any tokenizer whose decode is prefix-stable.
 */

const REPLACEMENT_CHARACTER = '\uFFFD';

export interface TokenTextStreamerOptions {
  batchSize: number;
  /** Same meaning as in `decode`; default true, like `generated_text`. */
  skipSpecialTokens?: boolean;
  /** Called with every non-empty piece of finalised text (and once per row at `end`). */
  onText?: (row: number, text: string, streamEnd: boolean) => void;
}

interface RowState {
  ids: number[];
  /** Length (UTF-16 units) of the decoded text already handed out. */
  emitted: number;
}

export class TokenTextStreamer {
  private readonly tokenizer: TextTokenizer;
  private readonly skipSpecialTokens: boolean;
  private readonly onText: TokenTextStreamerOptions['onText'];
  private readonly rows: RowState[];

  constructor(tokenizer: TextTokenizer, options: TokenTextStreamerOptions) {
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new Error(`batchSize must be a positive integer, got ${options.batchSize}`);
    }
    this.tokenizer = tokenizer;
    this.skipSpecialTokens = options.skipSpecialTokens ?? true;
    this.onText = options.onText;
    this.rows = Array.from({ length: options.batchSize }, () => ({
      ids: [],
      emitted: 0,
    }));
  }

  /** Adds one generated id to `row`; returns the newly finalised text (possibly ''). */
  put(row: number, tokenId: number): string {
    const state = this.row(row);
    state.ids.push(tokenId);
    const text = this.tokenizer.decode(state.ids, {
      skipSpecialTokens: this.skipSpecialTokens,
    });
    const stableEnd = lengthWithoutTrailingReplacements(text);
    return this.emit(row, state, text, stableEnd, false);
  }

  /** Adds one id per row (one generation step); returns the new text of every row. */
  putStep(tokenIds: readonly number[]): string[] {
    if (tokenIds.length !== this.rows.length) {
      throw new Error(`expected ${this.rows.length} ids (one per row), got ${tokenIds.length}`);
    }
    return tokenIds.map((id, row) => this.put(row, id));
  }

  /** Flushes everything still held back for `row` and resets it for reuse. */
  end(row: number): string {
    const state = this.row(row);
    const text = this.tokenizer.decode(state.ids, {
      skipSpecialTokens: this.skipSpecialTokens,
    });
    const rest = this.emit(row, state, text, text.length, true);
    state.ids = [];
    state.emitted = 0;
    return rest;
  }

  endAll(): string[] {
    return this.rows.map((_, row) => this.end(row));
  }

  private emit(
    row: number,
    state: RowState,
    text: string,
    stableEnd: number,
    streamEnd: boolean,
  ): string {
    const piece = stableEnd > state.emitted ? text.slice(state.emitted, stableEnd) : '';
    state.emitted = Math.max(state.emitted, stableEnd);
    if (piece.length > 0 || streamEnd) this.onText?.(row, piece, streamEnd);
    return piece;
  }

  private row(row: number): RowState {
    const state = this.rows[row];
    if (state === undefined) throw new Error(`row ${row} out of range 0..${this.rows.length - 1}`);
    return state;
  }
}

function lengthWithoutTrailingReplacements(text: string): number {
  let end = text.length;
  while (end > 0 && text[end - 1] === REPLACEMENT_CHARACTER) end--;
  return end;
}
