import { beforeAll, describe, expect, it } from 'vitest';
import { TokenTextStreamer } from '../../../../src-main/engine/text/streaming-decoder.ts';
import { loadTokenizer } from '../../../../src-main/engine/text/tokenizer.ts';
import type { TextTokenizer } from '../../../../src-main/engine/text/tokenizer.ts';
import { OPT_DIR, golden } from './fixtures.ts';

describe('TokenTextStreamer', () => {
  let tok: TextTokenizer;
  beforeAll(async () => {
    tok = await loadTokenizer(OPT_DIR);
  });

  it('holds back incomplete UTF-8 and reproduces the full decode of multi-byte text', () => {
    const ids = tok.encode('héllo ⚽ 日本', { addSpecialTokens: false });
    const streamer = new TokenTextStreamer(tok, { batchSize: 1 });
    const pieces = ids.map((id) => streamer.put(0, id));
    pieces.push(streamer.end(0));

    expect(pieces.join('')).toBe(tok.decode(ids));
    expect(pieces.join('')).toBe('héllo ⚽ 日本');
    for (const piece of pieces) expect(piece).not.toContain('\uFFFD');
    // The byte-level vocab splits these characters, so some steps must have been held back.
    const heldBack = ids.some((_, n) => tok.decode(ids.slice(0, n + 1)).endsWith('\uFFFD'));
    expect(heldBack).toBe(true);
    expect(pieces.filter((piece) => piece === '').length).toBeGreaterThan(0);
  });

  it('emits text as soon as it is final, not only at the end', () => {
    const ids = tok.encode('a photo of', { addSpecialTokens: false });
    const streamer = new TokenTextStreamer(tok, { batchSize: 1 });
    const first = ids[0];
    if (first === undefined) throw new Error('empty encoding');
    expect(streamer.put(0, first)).toBe(tok.decode([first]));
  });

  it.each(golden.opt_model.generation)('streams the batch of $name step by step', (g) => {
    const batchSize = g.new_tokens.length;
    const steps = Math.max(...g.new_tokens.map((row) => row.length));
    const seen: string[] = new Array<string>(batchSize).fill('');
    const ends: number[] = [];
    const streamer = new TokenTextStreamer(tok, {
      batchSize,
      onText: (row, text, streamEnd) => {
        seen[row] = (seen[row] ?? '') + text;
        if (streamEnd) ends.push(row);
      },
    });
    const returned: string[] = new Array<string>(batchSize).fill('');
    for (let s = 0; s < steps; s++) {
      const stepIds = g.new_tokens.map((row) => row[s] ?? tok.specialIds.pad ?? 0);
      streamer
        .putStep(stepIds)
        .forEach((piece, row) => (returned[row] = (returned[row] ?? '') + piece));
    }
    streamer.endAll().forEach((piece, row) => (returned[row] = (returned[row] ?? '') + piece));

    expect(returned).toEqual(g.generated_text);
    expect(seen).toEqual(g.generated_text);
    expect(ends).toEqual(g.new_tokens.map((_, row) => row));
  });

  it('resets a row after end so it can stream a new sequence', () => {
    const streamer = new TokenTextStreamer(tok, { batchSize: 1 });
    const ids = tok.encode("don't stop", { addSpecialTokens: false });
    for (const id of ids) streamer.put(0, id);
    streamer.end(0);
    const again = ids.map((id) => streamer.put(0, id)).join('') + streamer.end(0);
    expect(again).toBe(tok.decode(ids));
  });

  it('rejects a step with the wrong number of rows and unknown rows', () => {
    const streamer = new TokenTextStreamer(tok, { batchSize: 2 });
    expect(() => streamer.putStep([1])).toThrow();
    expect(() => streamer.put(2, 1)).toThrow();
    expect(() => new TokenTextStreamer(tok, { batchSize: 0 })).toThrow();
  });
});
