/** Why a pull failed, so callers (CLI, app) can react without parsing messages. */
export type HubErrorKind =
  | 'unauthorized'
  | 'not-found'
  | 'network'
  | 'http'
  | 'integrity'
  | 'disk-space'
  | 'invalid-checkpoint'
  | 'aborted';

export class HubError extends Error {
  constructor(
    readonly kind: HubErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HubError';
  }
}

/** The message for an HTTP failure status, worded for someone who has never used the Hub. */
export function httpError(status: number, what: string, repoId: string): HubError {
  if (status === 401 || status === 403) {
    return new HubError(
      'unauthorized',
      `${repoId} needs a Hugging Face token (HF_TOKEN) or accepting the model's terms on its Hub page (HTTP ${status} for ${what})`,
    );
  }
  if (status === 404) {
    return new HubError(
      'not-found',
      `not found (repo/revision/file): ${what} (HTTP 404; check the repo id and revision)`,
    );
  }
  return new HubError('http', `HTTP ${status} for ${what}`);
}

export function networkError(endpoint: string, cause: unknown): HubError {
  const detail = describeCause(cause);
  return new HubError(
    'network',
    `cannot reach ${endpoint}: offline? set HF_ENDPOINT for a mirror${detail ? ` (${detail})` : ''}`,
    { cause },
  );
}

/** undici wraps the socket error (ECONNREFUSED, ENOTFOUND…) in `cause`: report the innermost. */
function describeCause(error: unknown): string {
  let current: unknown = error;
  let message = '';
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    message = current.message;
    current = current.cause;
  }
  return message;
}

export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
