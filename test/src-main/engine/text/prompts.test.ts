import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildItmTextInputs,
  buildOptInputs,
  padBatch,
  positionIdsFromMask,
  questionPrompt,
} from '../../../../src-main/engine/text/prompts.ts';
import { loadTokenizer } from '../../../../src-main/engine/text/tokenizer.ts';
import type { TextTokenizer } from '../../../../src-main/engine/text/tokenizer.ts';
import { ITM_DIR, OPT_DIR, golden, optModelFacts, qformerMaxPositions } from './fixtures.ts';

const generation = golden.opt_model.generation;

describe('OPT language-model inputs', () => {
  let tok: TextTokenizer;
  const { numQueryTokens, imageTokenId } = optModelFacts();
  beforeAll(async () => {
    tok = await loadTokenizer(OPT_DIR);
  });

  it.each(generation)('builds the current-HF inputs of $name', (g) => {
    const inputs = buildOptInputs(tok, g.prompts, {
      numQueryTokens,
      imageTokenId,
      padSide: 'left',
    });
    expect(inputs.layout).toBe('image-tokens');
    expect(inputs.inputIds).toEqual(g.input_ids);
    expect(inputs.attentionMask).toEqual(g.attention_mask);
    if (g.text_input_ids !== null) {
      expect(inputs.textInputIds).toEqual(g.text_input_ids);
      expect(inputs.textAttentionMask).toEqual(g.text_attention_mask);
    }
    const imagePositions = g.input_ids.map((row) =>
      row.flatMap((id, i) => (id === imageTokenId ? [i] : [])),
    );
    expect(inputs.imageTokenPositions).toEqual(imagePositions);
  });

  it.each(generation)(
    'builds the legacy inputs of $name (queries prepended by the caller)',
    (g) => {
      const inputs = buildOptInputs(tok, g.prompts, {
        numQueryTokens,
        imageTokenId: null,
        padSide: 'left',
      });
      expect(inputs.layout).toBe('prepend-queries');
      expect(inputs.inputIds).toEqual(g.input_ids.map((row) => row.slice(numQueryTokens)));
      expect(inputs.attentionMask).toEqual(g.attention_mask);
      // Older HF returned [BOS] + new tokens: the text part starts with BOS when unpadded.
      const legacyFirst = inputs.inputIds.map((row) => row.find((id) => id !== tok.specialIds.pad));
      expect(legacyFirst.every((id) => id === tok.specialIds.bos)).toBe(true);
      expect(inputs.imageTokenPositions.every((p) => p.length === numQueryTokens)).toBe(true);
    },
  );

  it('treats null entries as captioning rows, like an empty prompt', () => {
    const caption = generation.find((g) => g.prompts === null);
    if (!caption) throw new Error('golden has no captioning case');
    const batch = buildOptInputs(tok, [null, null], {
      numQueryTokens,
      imageTokenId,
      padSide: 'left',
    });
    expect(batch.inputIds).toEqual([caption.input_ids[0], caption.input_ids[0]]);
    expect(batch.attentionMask).toEqual([caption.attention_mask[0], caption.attention_mask[0]]);
  });

  it('refuses a prompt that contains the image placeholder', () => {
    const withImageToken = golden.tokenizers.opt.cases.find((c) => c.ids.includes(imageTokenId));
    if (!withImageToken) throw new Error('golden has no <image> case');
    expect(() =>
      buildOptInputs(tok, [withImageToken.text], {
        numQueryTokens,
        imageTokenId,
        padSide: 'left',
      }),
    ).toThrow(/image placeholder/);
  });

  it('formats questions the way the vqa golden prompt does', () => {
    const vqa = generation.find((g) => g.name === 'vqa_prompt');
    expect(questionPrompt('  what is this?\n')).toBe(vqa?.prompts?.[0]);
  });

  it.each([
    ['left', golden.tokenizers.opt.batch_padding_left],
    ['right', golden.tokenizers.opt.batch_padding_right],
  ] as const)('pads a batch on the %s like the tokenizer', (side, expected) => {
    const padded = padBatch(
      expected.texts.map((t) => tok.encode(t)),
      tok.specialIds.pad ?? -1,
      side,
    );
    expect(padded.inputIds).toEqual(expected.input_ids);
    expect(padded.attentionMask).toEqual(expected.attention_mask);
  });
});

describe('positionIdsFromMask', () => {
  it.each(generation)('matches position_ids and embedding rows of $name', (g) => {
    const positions = positionIdsFromMask(g.attention_mask);
    expect(positions).toEqual(g.position_ids);
    expect(positions.map((row) => row.map((p) => p + 2))).toEqual(g.embed_positions_rows);
  });
});

describe('ITM text inputs', () => {
  let tok: TextTokenizer;
  beforeAll(async () => {
    tok = await loadTokenizer(ITM_DIR);
  });

  it('builds right-padded [CLS] ... [SEP] inputs like the golden ITM batch', () => {
    const inputs = buildItmTextInputs(tok, golden.itm_model.texts, {
      maxLength: qformerMaxPositions(),
    });
    expect(inputs.inputIds).toEqual(golden.itm_model.input_ids);
    expect(inputs.attentionMask).toEqual(golden.itm_model.attention_mask);
  });

  it('truncates the text but keeps the closing special token', () => {
    const longest = [...golden.tokenizers.itm.cases].sort((a, b) => b.ids.length - a.ids.length)[0];
    if (!longest) throw new Error('no itm cases');
    const maxLength = longest.ids.length - 3;
    const { inputIds, attentionMask } = buildItmTextInputs(tok, [longest.text, ''], { maxLength });
    const last = longest.ids.at(-1) ?? -1;
    expect(inputIds[0]).toEqual([...longest.ids.slice(0, maxLength - 1), last]);
    expect(attentionMask[0]).toEqual(new Array<number>(maxLength).fill(1));
    expect(inputIds[1]?.length).toBe(maxLength);
  });

  it('leaves texts alone when they fit and rejects a limit below the specials', () => {
    const c = golden.tokenizers.itm.cases[0];
    if (!c) throw new Error('no itm cases');
    expect(buildItmTextInputs(tok, [c.text]).inputIds).toEqual([c.ids]);
    expect(() => buildItmTextInputs(tok, [c.text], { maxLength: 1 })).toThrow();
  });
});
