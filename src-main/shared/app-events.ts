// Events the app pushes to the renderer (one stream, discriminated by `type`).
import { z } from 'zod';
import {
  indexingStateSchema,
  indexProgressSchema,
  openedFileSchema,
  requestIdSchema,
} from './app-schemas.ts';

const count = z.number().int().nonnegative();

/** Commands of the app menu and its shortcuts, carried out by the renderer. */
export const MENU_COMMANDS = [
  'add-folder',
  'open-image',
  'focus-search',
  'show-library',
  'show-indexing',
  'show-models',
  'start-indexing',
  'toggle-theme',
] as const;
export type MenuCommand = (typeof MENU_COMMANDS)[number];

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
  /** The user opened image files with Sightline: show "Describe image" for them. */
  z.object({ type: z.literal('files-opened'), files: z.array(openedFileSchema) }),
  z.object({ type: z.literal('menu-command'), command: z.enum(MENU_COMMANDS) }),
  /** The background service crashed and is being restarted (calls in flight failed). */
  z.object({
    type: z.literal('service-state'),
    state: z.enum(['restarting', 'running', 'failed']),
    detail: z.string().nullable(),
  }),
]);
export type AppEvent = z.infer<typeof appEventSchema>;
export type AppEventType = AppEvent['type'];
export type AppEventListener = (event: AppEvent) => void;
export type Unsubscribe = () => void;
