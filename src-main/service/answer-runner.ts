import { encodeImages, loadPixelBatch } from '../engine/blip2/vision-encoder.ts';
import { ImageDecodeError } from '../engine/image/decode.ts';
import type { AppEvent } from '../shared/app-events.ts';
import { AppError } from '../shared/app-error.ts';
import type { ModelHost } from './model-host.ts';
import { TrimmedTextStream } from './trimmed-text-stream.ts';

export interface AnswerSettings {
  /** Length limit of answers and on-demand captions (default 30, as the CLI). */
  maxNewTokens?: number;
}

/**
 * Captions and answers about single images, streamed token by token as `answer-token` events.
 * Greedy decoding, since a beam's text is not final until the search ends and could not be shown
 * as it is produced. Runs one at a time: each holds the full language model's KV cache.
 */
export class AnswerRunner {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly models: ModelHost,
    private readonly emit: (event: AppEvent) => void,
    private readonly settings: AnswerSettings = {},
  ) {}

  /** Generates for one image file with an optional prompt; resolves with the final text. */
  generate(path: string, prompt: string | null, requestId: string): Promise<string> {
    const job = this.queue.then(() => this.run(path, prompt, requestId));
    this.queue = job.catch(() => undefined);
    return job;
  }

  private async run(path: string, prompt: string | null, requestId: string): Promise<string> {
    const captioner = await this.models.captioner();
    let pixels;
    try {
      pixels = await loadPixelBatch(captioner.model, [path]);
    } catch (error) {
      if (error instanceof ImageDecodeError)
        throw new AppError('invalid-request', `cannot read ${path}: ${error.message}`);
      throw error;
    }
    const embeds = await encodeImages(captioner.model, pixels);
    const stream = new TrimmedTextStream((text) =>
      this.emit({ type: 'answer-token', requestId, text }),
    );
    try {
      const [result] = await captioner.generate(
        embeds,
        [prompt],
        { maxNewTokens: this.settings.maxNewTokens ?? 30, numBeams: 1 },
        (_row, text) => stream.push(text),
      );
      const answer = result?.text ?? '';
      this.emit({ type: 'answer-done', requestId, answer });
      return answer;
    } finally {
      embeds.dispose();
    }
  }
}
