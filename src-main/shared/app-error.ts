// Errors every AppApi transport understands. Kept free of zod and node so the preload, the
// renderer and the loopback client can all rebuild the same error from a wire message.

export const APP_ERROR_CODES = [
  /** The payload does not match the contract, or names something impossible (a file, not a folder). */
  'invalid-request',
  /** No such photo, root or model. */
  'not-found',
  /** Not now: e.g. removing a folder while it is being indexed. */
  'conflict',
  /** A model the call needs is not installed (the message says how to install it). */
  'unavailable',
  'internal',
] as const;
export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

export class AppError extends Error {
  override readonly name = 'AppError';

  constructor(
    readonly code: AppErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isAppErrorCode(value: unknown): value is AppErrorCode {
  return typeof value === 'string' && (APP_ERROR_CODES as readonly string[]).includes(value);
}
