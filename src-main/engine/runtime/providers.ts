/**
 * Execution providers by platform, best first. CPU is always last and always works; the others
 * need a matching onnxruntime build (CUDA: the onnxruntime-node CUDA binaries + CUDA 12 / cuDNN 9
 * on Linux x64; DirectML: Windows; CoreML: macOS).
 */
export type ProviderName = 'cuda' | 'dml' | 'coreml' | 'cpu';

export const PROVIDER_NAMES: readonly ProviderName[] = ['cuda', 'dml', 'coreml', 'cpu'];

export function defaultProviderOrder(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): ProviderName[] {
  if (platform === 'linux' && arch === 'x64') return ['cuda', 'cpu'];
  if (platform === 'win32') return ['dml', 'cpu'];
  if (platform === 'darwin') return ['coreml', 'cpu'];
  return ['cpu'];
}

/**
 * `auto` (default order), or a comma list such as `cuda,cpu` from --provider / SIGHTLINE_PROVIDER.
 * CPU is appended when missing so a failed accelerator never leaves the user with nothing.
 */
export function parseProviderPreference(value: string | undefined): ProviderName[] {
  if (!value || value === 'auto') return defaultProviderOrder();
  const names = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const name of names) {
    if (!PROVIDER_NAMES.includes(name as ProviderName)) {
      throw new Error(
        `unknown execution provider "${name}" (choose from auto, ${PROVIDER_NAMES.join(', ')})`,
      );
    }
  }
  const order = names as ProviderName[];
  return order.includes('cpu') ? order : [...order, 'cpu'];
}

export interface RuntimeOptions {
  /** Providers to try, best first. */
  providers: readonly ProviderName[];
  /** Threads inside one operator (0 = one per physical core, hardware threads not counted). */
  intraOpThreads: number;
}

export function runtimeOptionsFrom(
  env: { provider?: string; threads?: string | number } = {},
): RuntimeOptions {
  const threads = Number(env.threads ?? process.env.SIGHTLINE_THREADS ?? 0);
  if (!Number.isInteger(threads) || threads < 0)
    throw new Error(`threads must be a whole number ≥ 0, got ${String(env.threads)}`);
  return {
    providers: parseProviderPreference(env.provider ?? process.env.SIGHTLINE_PROVIDER),
    intraOpThreads: threads,
  };
}
