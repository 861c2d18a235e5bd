import type { QaTurn } from '../shared/app-schemas.ts';

/**
 * The BLIP-2 VQA prompt with earlier turns kept as context, the way the BLIP-2 authors chain a
 * conversation: `Question: q1 Answer: a1. Question: q2 Answer:`. Each earlier answer ends with
 * exactly one full stop so the model sees where it ended.
 */
export function conversationPrompt(history: readonly QaTurn[], question: string): string {
  const turns = history.map(
    (turn) =>
      `Question: ${oneLine(turn.question)} Answer: ${oneLine(turn.answer).replace(/\.+$/, '')}.`,
  );
  return [...turns, `Question: ${oneLine(question)} Answer:`].join(' ');
}

/** Line breaks would read as OPT's end-of-sequence token ("\n") inside the prompt. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
