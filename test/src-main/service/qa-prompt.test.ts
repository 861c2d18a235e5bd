import { describe, expect, it } from 'vitest';
import { questionPrompt } from '../../../src-main/engine/text/prompts.ts';
import { conversationPrompt } from '../../../src-main/service/qa-prompt.ts';

describe('conversationPrompt', () => {
  it('is the plain VQA prompt without history', () => {
    expect(conversationPrompt([], ' what is this? ')).toBe(questionPrompt('what is this?'));
  });

  it('keeps earlier turns as context, each answer ending in one full stop', () => {
    expect(
      conversationPrompt(
        [
          { question: 'which city is this?', answer: 'singapore' },
          { question: 'is it\nnight?', answer: ' yes.. ' },
        ],
        'why?',
      ),
    ).toBe(
      'Question: which city is this? Answer: singapore. Question: is it night? Answer: yes. Question: why? Answer:',
    );
  });
});
