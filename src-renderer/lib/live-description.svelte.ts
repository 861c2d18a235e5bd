// "Describe image" as reactive state: the caption grows token by token while it streams, then
// settles as done or as an error. Shared by the photo view's panel and the opened-file view.
import type { Unsubscribe } from '../../src-main/shared/contract.ts';
import { streamDescription } from './answer-stream.ts';

export type DescriptionStatus = 'idle' | 'streaming' | 'done' | 'error';

export class LiveDescription {
  text = $state('');
  status = $state<DescriptionStatus>('idle');
  error = $state<string | null>(null);
  private stopFollowing: Unsubscribe | null = null;

  constructor(private readonly requestPrefix: string) {}

  /** Describes `path` from scratch (a description in flight is abandoned). */
  start(path: string): void {
    this.stop();
    this.text = '';
    this.error = null;
    this.status = 'streaming';
    this.stopFollowing = streamDescription(path, this.requestPrefix, {
      ontoken: (piece) => (this.text += piece),
      ondone: (answer) => {
        this.text = answer;
        this.status = 'done';
      },
      onerror: (message) => {
        this.error = message;
        this.status = 'error';
      },
    });
  }

  stop(): void {
    this.stopFollowing?.();
    this.stopFollowing = null;
  }
}
