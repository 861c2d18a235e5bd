// Follows one streamed answer (ask or describe) by its requestId. Subscribe BEFORE starting the
// request: tokens may arrive before the call's reply does.
import type { Unsubscribe } from '../../src-main/shared/contract.ts';
import { errorMessage } from './format.ts';
import { newRequestId } from './request-id.ts';

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

/**
 * "Describe image" for any file: follows the streamed caption, then settles with the call's own
 * reply (which also covers a failure before any event). Returns what stops following it.
 */
export function streamDescription(
  path: string,
  requestPrefix: string,
  handlers: AnswerHandlers,
): Unsubscribe {
  const requestId = newRequestId(requestPrefix);
  let stopped = false;
  const unsubscribe = followAnswer(requestId, handlers);
  window.sightline
    .describeImage({ path, requestId })
    .then((result) => {
      if (!stopped) handlers.ondone(result.caption);
    })
    .catch((cause: unknown) => {
      if (!stopped) handlers.onerror(errorMessage(cause));
    });
  return () => {
    stopped = true;
    unsubscribe();
  };
}
