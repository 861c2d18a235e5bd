import { beforeAll, describe, expect, it } from 'vitest';
import { createTokenizer, loadTokenizer } from '../../../../src-main/engine/text/tokenizer.ts';
import type { TextTokenizer } from '../../../../src-main/engine/text/tokenizer.ts';
import { ITM_DIR, OPT_DIR, golden, optModelFacts, readJson } from './fixtures.ts';

const optGolden = golden.tokenizers.opt;
const itmGolden = golden.tokenizers.itm;

describe('OPT tokenizer (byte-level BPE)', () => {
  let tok: TextTokenizer;
  beforeAll(async () => {
    tok = await loadTokenizer(OPT_DIR);
  });

  describe.each(optGolden.cases)('case $text', (c) => {
    it('encodes with BOS', () => {
      expect(tok.encode(c.text)).toEqual(c.ids);
    });
    it('encodes without special tokens', () => {
      expect(tok.encode(c.text, { addSpecialTokens: false })).toEqual(c.ids_no_special);
    });
    it('decodes keeping special tokens', () => {
      expect(tok.decode(c.ids)).toBe(c.decode);
    });
    it('decodes skipping special tokens', () => {
      expect(tok.decode(c.ids, { skipSpecialTokens: true })).toBe(c.decode_skip_special);
    });
    it('maps every golden token string to its id', () => {
      expect(c.tokens.map((t) => tok.tokenToId(t))).toEqual(c.ids);
      expect(c.ids.map((id) => tok.idToToken(id))).toEqual(c.tokens);
    });
  });

  it('reports the special ids, image token and length', () => {
    expect(tok.specialIds.bos).toBe(optGolden.bos_token_id);
    expect(tok.specialIds.eos).toBe(optGolden.eos_token_id_tokenizer);
    expect(tok.specialIds.pad).toBe(optGolden.pad_token_id);
    expect(tok.tokenToId('<image>')).toBe(optGolden.image_token_id);
    expect(optModelFacts().imageTokenId).toBe(optGolden.image_token_id);
    expect(tok.length).toBe(optGolden.tokenizer_length);
    expect(tok.paddingSide).toBe('right');
    expect(tok.modelMaxLength).toBeUndefined();
  });

  it('lists exactly the ids that skipSpecialTokens drops', () => {
    const dropped = [...tok.allSpecialIds].filter(
      (id) => tok.decode([id], { skipSpecialTokens: true }) === '',
    );
    expect(dropped.sort()).toEqual([...tok.allSpecialIds].sort());
    expect(tok.allSpecialIds).toContain(optGolden.image_token_id);
    expect(tok.allSpecialIds).toContain(optGolden.pad_token_id);
    expect(tok.allSpecialIds).toContain(optGolden.bos_token_id);
  });

  it.each(golden.opt_model.generation)('decodes generated tokens of $name like HF', (g) => {
    g.new_tokens.forEach((ids, row) => {
      expect(tok.decode(ids, { skipSpecialTokens: true })).toBe(g.generated_text[row]);
    });
    g.sequences.forEach((ids, row) => {
      expect(tok.decode(ids, { skipSpecialTokens: true })).toBe(
        g.batch_decode_sequences_skip_special[row],
      );
    });
  });

  it('decodes an empty list and skips ids outside the vocabulary (LM head padding rows)', () => {
    expect(tok.decode([])).toBe('');
    const ids = optGolden.cases[0]?.ids ?? [];
    expect(tok.decode([...ids, tok.length, tok.length + 1])).toBe(tok.decode(ids));
  });

  it('takes named special tokens from special_tokens_map.json when the config lacks them', () => {
    const config = readJson(`${OPT_DIR}/tokenizer_config.json`);
    const withoutNamed = Object.fromEntries(
      Object.entries(config).filter(
        ([key]) => !['bos_token', 'eos_token', 'pad_token', 'unk_token'].includes(key),
      ),
    );
    const fromMap = createTokenizer(
      readJson(`${OPT_DIR}/tokenizer.json`),
      withoutNamed,
      readJson(`${OPT_DIR}/special_tokens_map.json`),
    );
    expect(fromMap.specialIds).toEqual(tok.specialIds);
    const withoutMap = createTokenizer(readJson(`${OPT_DIR}/tokenizer.json`), withoutNamed);
    expect(withoutMap.specialIds.pad).toBeUndefined();
  });
});

describe('ITM tokenizer (BERT WordPiece)', () => {
  let tok: TextTokenizer;
  beforeAll(async () => {
    tok = await loadTokenizer(ITM_DIR);
  });

  it.each(itmGolden.cases)('encodes $text', (c) => {
    expect(tok.encode(c.text)).toEqual(c.ids);
    expect(c.tokens.map((t) => tok.tokenToId(t))).toEqual(c.ids);
  });

  it('reports pad, length and the [DEC] bos added on top of BERT', () => {
    expect(tok.specialIds.pad).toBe(itmGolden.pad_token_id);
    expect(tok.length).toBe(itmGolden.tokenizer_length);
    expect(tok.specialIds.bos).toBe(tok.tokenToId('[DEC]'));
    expect(tok.specialIds.cls).toBe(itmGolden.cases[0]?.ids[0]);
    expect(tok.specialIds.sep).toBe(itmGolden.cases[0]?.ids.at(-1));
    expect(tok.modelMaxLength).toBe(readJson(`${ITM_DIR}/tokenizer_config.json`).model_max_length);
  });
});
