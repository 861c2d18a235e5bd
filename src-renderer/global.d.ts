// Typed view of what the preload exposes; the renderer reaches the main process only via this.
import type { AppApi } from '../src-main/shared/contract.ts';

declare global {
  interface Window {
    readonly sightline: AppApi;
  }
}

export {};
