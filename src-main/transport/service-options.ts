// What the shell hands the core's child process (as JSON in an environment variable), checked on
// arrival because it crosses a process boundary.
import { z } from 'zod';
import { PROVIDER_NAMES, type ProviderName } from '../engine/runtime/providers.ts';

export const SERVICE_OPTIONS_ENV = 'SIGHTLINE_SERVICE_OPTIONS';

/**
 * Control messages beside the RPC traffic. The child posts `ready` once it serves calls (messages
 * sent before then could be lost), or `failed` when it cannot start; the shell posts `shutdown`.
 */
export const serviceControlSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ready') }),
  z.object({ kind: z.literal('failed'), error: z.string() }),
  z.object({ kind: z.literal('shutdown') }),
]);
export type ServiceControl = z.infer<typeof serviceControlSchema>;

const providerSchema = z.enum(PROVIDER_NAMES as [ProviderName, ...ProviderName[]]);
const positiveInt = z.number().int().positive();

const captionSchema = z
  .object({
    maxNewTokens: positiveInt,
  })
  .extend(
    z
      .object({
        minNewTokens: z.number().int().nonnegative(),
        numBeams: positiveInt,
        repetitionPenalty: z.number().positive(),
        noRepeatNgramSize: z.number().int().nonnegative(),
        lengthPenalty: z.number(),
      })
      .partial().shape,
  );

export const serviceProcessOptionsSchema = z.strictObject({
  /** Default: the user's library database (see library/paths.ts). */
  databasePath: z.string().min(1).optional(),
  version: z.string(),
  modelsDir: z.string().min(1).optional(),
  thumbnailDir: z.string().min(1).optional(),
  captionModelDir: z.string().min(1).optional(),
  searchModelDir: z.string().min(1).optional(),
  runtime: z
    .object({
      providers: z.array(providerSchema).min(1),
      intraOpThreads: z.number().int().nonnegative(),
    })
    .optional(),
  indexing: z
    .object({
      batchSize: positiveInt.optional(),
      workers: positiveInt.optional(),
      inference: z
        .object({
          caption: captionSchema,
          capfiltSamples: z.number().int().nonnegative(),
          maxTags: z.number().int().nonnegative(),
          tagMargin: z.number().nonnegative(),
        })
        .partial()
        .optional(),
    })
    .optional(),
  answers: z.object({ maxNewTokens: positiveInt.optional() }).optional(),
  hubEndpoint: z.url().optional(),
  /** Prefix of photo URLs (default `sightline-photo://`; a loopback host serves `<url>/photo/`). */
  photoUrlPrefix: z.string().min(1).optional(),
  /** better-sqlite3 binary built for Electron's ABI (development `npm start`; see engineer A2). */
  sqliteNativeBinding: z.string().min(1).optional(),
});
export type ServiceProcessOptions = z.infer<typeof serviceProcessOptionsSchema>;

/** The options from the environment; throws with every problem listed when they are malformed. */
export function serviceOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceProcessOptions {
  const text = env[SERVICE_OPTIONS_ENV];
  if (text === undefined) throw new Error(`${SERVICE_OPTIONS_ENV} is not set`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${SERVICE_OPTIONS_ENV} is not JSON`);
  }
  const parsed = serviceProcessOptionsSchema.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `${i.path.join('.') || 'options'}: ${i.message}`)
      .join('; ');
    throw new Error(`${SERVICE_OPTIONS_ENV} is invalid: ${detail}`);
  }
  return parsed.data;
}
