// Events the app pushes to the renderer (one stream, discriminated by `type`).
import { z } from 'zod';
import { indexingStateSchema, indexProgressSchema, requestIdSchema } from './app-schemas.ts';

const count = z.number().int().nonnegative();

export const appEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('indexing-progress'),
    state: indexingStateSchema,
    progress: indexProgressSchema.nullable(),
    /** Set once when a run fails. */
    error: z.string().nullable(),
  }),
  z.object({
    type: z.literal('model-setup-progress'),
    name: z.string(),
    phase: z.enum(['download', 'convert', 'done', 'error']),
    doneBytes: count,
    totalBytes: count,
    bytesPerSecond: z.number().nonnegative().nullable(),
    etaSeconds: z.number().nonnegative().nullable(),
    /** The file being downloaded or the graph being written. */
    detail: z.string().nullable(),
    error: z.string().nullable(),
  }),
  /** A piece of a streamed answer or caption; the pieces concatenate to the final text. */
  z.object({ type: z.literal('answer-token'), requestId: requestIdSchema, text: z.string() }),
  z.object({ type: z.literal('answer-done'), requestId: requestIdSchema, answer: z.string() }),
  z.object({ type: z.literal('answer-error'), requestId: requestIdSchema, error: z.string() }),
  z.object({
    type: z.literal('library-changed'),
    reason: z.enum(['indexing', 'roots', 'edit']),
    /** The photos that changed, when known (null: reload everything). */
    photoIds: z.array(z.number().int().positive()).nullable(),
  }),
]);
export type AppEvent = z.infer<typeof appEventSchema>;
export type AppEventType = AppEvent['type'];
export type AppEventListener = (event: AppEvent) => void;
export type Unsubscribe = () => void;
