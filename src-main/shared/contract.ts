// The one contract between the renderer and the main process. Pure TypeScript + zod only:
// the renderer imports this file, so nothing node-only or electron may appear here.
import { z } from 'zod';

export { IPC_CHANNELS } from './ipc-channels.ts';

export const describeImageRequestSchema = z.object({
  path: z.string().min(1, 'path must not be empty'),
});
export type DescribeImageRequest = z.infer<typeof describeImageRequestSchema>;

export const describeImageResultSchema = z.object({
  caption: z.string(),
});
export type DescribeImageResult = z.infer<typeof describeImageResultSchema>;

/**
 * What the preload exposes as `window.sightline`. Properties (not methods) so callers may
 * pass them around without `this` binding concerns.
 */
export interface AppApi {
  getVersion: () => Promise<string>;
  describeImage: (path: string) => Promise<DescribeImageResult>;
}
