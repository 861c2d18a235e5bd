import type { AppErrorCode } from '../shared/app-error.ts';

export const HTTP_STATUS_OF: Record<AppErrorCode, number> = {
  'invalid-request': 400,
  'not-found': 404,
  conflict: 409,
  unavailable: 503,
  internal: 500,
};
