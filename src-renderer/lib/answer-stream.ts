// Follows one streamed answer (ask or describe) by its requestId. Subscribe BEFORE starting the
// request: tokens may arrive before the call's reply does.
import type { Unsubscribe } from '../../src-main/shared/contract.ts';

export interface AnswerHandlers {
  ontoken: (text: string) => void;
  ondone: (answer: string) => void;
  onerror: (error: string) => void;
}

export function followAnswer(requestId: string, handlers: AnswerHandlers): Unsubscribe {
  const unsubscribe = window.sightline.subscribe((event) => {
    if (!('requestId' in event) || event.requestId !== requestId) return;
    if (event.type === 'answer-token') handlers.ontoken(event.text);
    else if (event.type === 'answer-done') {
      unsubscribe();
      handlers.ondone(event.answer);
    } else {
      unsubscribe();
      handlers.onerror(event.error);
    }
  });
  return unsubscribe;
}
