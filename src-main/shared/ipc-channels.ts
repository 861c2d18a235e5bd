// IPC channel names, shared so the preload and the main process can never disagree. Kept apart
// from contract.ts (which pulls in zod) so the sandboxed preload bundle stays tiny.
export const IPC_CHANNELS = {
  getVersion: 'app:get-version',
  describeImage: 'image:describe',
} as const;
