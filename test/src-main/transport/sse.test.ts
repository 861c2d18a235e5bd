import { describe, expect, it } from 'vitest';
import { SseParser, sseComment, sseEvent } from '../../../src-main/transport/sse.ts';

function parseAll(chunks: readonly string[]): string[] {
  const out: string[] = [];
  const parser = new SseParser((data) => out.push(data));
  for (const chunk of chunks) parser.push(chunk);
  return out;
}

describe('SSE framing', () => {
  it('round-trips JSON events and skips comments', () => {
    const payloads = [{ a: 1 }, { text: 'line\nbreak: yes' }, 'é ⚽'];
    const stream = sseComment('connected') + payloads.map(sseEvent).join('');
    expect(parseAll([stream]).map((d) => JSON.parse(d) as unknown)).toEqual(payloads);
  });

  it('handles chunks split anywhere, CRLF/CR line ends and multi-line data', () => {
    const stream = 'data: one\r\ndata: two\r\n\r\n: note\rdata:three\r\rid: 7\nevent: x\n\n';
    const expected = ['one\ntwo', 'three'];
    expect(parseAll([stream])).toEqual(expected);
    for (let cut = 1; cut < stream.length; cut++) {
      expect(parseAll([stream.slice(0, cut), stream.slice(cut)]), `cut at ${cut}`).toEqual(
        expected,
      );
    }
    expect(parseAll(Array.from({ length: stream.length }, (_, i) => stream.charAt(i)))).toEqual(
      expected,
    );
  });

  it('does not dispatch an unfinished event', () => {
    expect(parseAll(['data: half'])).toEqual([]);
  });
});
