// The only module that imports onnxruntime-node: everything else speaks `Tensor`.
import * as ort from 'onnxruntime-node';
import { ElemType, onnx } from '../../../native-models/onnx/proto.ts';
import { physicalCoreCount } from './cpu-cores.ts';
import type { ProviderName, RuntimeOptions } from './providers.ts';
import { Tensor } from './tensor.ts';

/**
 * Providers that failed to start in this process (e.g. no CUDA binaries): not retried for every
 * graph, which would cost a failed library load each time.
 */
const unavailable = new Map<ProviderName, string>();

// onnxruntime's process-wide logger prints a native error when an absent accelerator library fails
// to load; failures reach the caller as exceptions anyway. SIGHTLINE_ORT_LOG_LEVEL=warning to debug.
const LOG_LEVELS = ['verbose', 'info', 'warning', 'error', 'fatal'] as const;
const requestedLevel = process.env.SIGHTLINE_ORT_LOG_LEVEL;
ort.env.logLevel = LOG_LEVELS.find((l) => l === requestedLevel) ?? 'fatal';

export interface OpenedSession {
  session: GraphSession;
  /** The provider the session was created with (the first in the preference list that worked). */
  provider: ProviderName;
  /** Providers tried before it and why they failed. */
  fallbacks: { provider: ProviderName; error: string }[];
}

/** One ONNX graph loaded in onnxruntime. */
export class GraphSession {
  private constructor(
    private readonly inner: ort.InferenceSession,
    readonly path: string,
  ) {}

  static async open(path: string, options: RuntimeOptions): Promise<OpenedSession> {
    const fallbacks: OpenedSession['fallbacks'] = [];
    for (const provider of options.providers) {
      const knownFailure = unavailable.get(provider);
      if (knownFailure !== undefined) {
        fallbacks.push({ provider, error: knownFailure });
        continue;
      }
      try {
        const inner = await ort.InferenceSession.create(path, {
          executionProviders: [provider],
          graphOptimizationLevel: 'all',
          // An accelerator that is not installed is expected: its load failure is reported to the
          // user once, in words, instead of as onnxruntime's native error log.
          logSeverityLevel: provider === 'cpu' ? 2 : 4,
          intraOpNumThreads:
            options.intraOpThreads > 0 ? options.intraOpThreads : physicalCoreCount(),
        });
        return { session: new GraphSession(inner, path), provider, fallbacks };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (provider !== 'cpu') unavailable.set(provider, message);
        fallbacks.push({ provider, error: message });
      }
    }
    const reasons = fallbacks.map((f) => `${f.provider}: ${f.error}`).join('; ');
    throw new Error(`could not load ${path} with any execution provider (${reasons})`);
  }

  get inputNames(): readonly string[] {
    return this.inner.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.inner.outputNames;
  }

  /** Runs the graph; returns the requested outputs (all when `outputs` is omitted). */
  async run(
    feeds: Readonly<Record<string, Tensor>>,
    outputs?: readonly string[],
  ): Promise<Record<string, Tensor>> {
    const ortFeeds = toOrt(feeds);
    const results = outputs
      ? await this.inner.run(ortFeeds, outputs)
      : await this.inner.run(ortFeeds);
    const converted: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(results)) converted[name] = fromOrt(value);
    return converted;
  }

  /**
   * Runs the graph writing the outputs named in `into` straight into those tensors' memory (no
   * copy from onnxruntime's buffers); returns every output, the given tensors included.
   */
  async runInto(
    feeds: Readonly<Record<string, Tensor>>,
    into: Readonly<Record<string, Tensor>>,
  ): Promise<Record<string, Tensor>> {
    const ortFeeds = toOrt(feeds);
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const name of this.inner.outputNames) {
      const t = into[name];
      fetches[name] = t ? new ort.Tensor(t.type, t.data, t.dims) : null;
    }
    const results = await this.inner.run(ortFeeds, fetches);
    const converted: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(results))
      converted[name] = into[name] ?? fromOrt(value);
    return converted;
  }

  async release(): Promise<void> {
    await this.inner.release();
  }
}

/**
 * The first provider in `providers` that can start a session here (a one-node graph built in
 * memory), e.g. to choose a default precision before converting. CPU always can.
 */
export async function firstWorkingProvider(
  providers: readonly ProviderName[],
): Promise<ProviderName> {
  for (const provider of providers) {
    if (provider === 'cpu') return provider;
    if (unavailable.has(provider)) continue;
    try {
      const session = await ort.InferenceSession.create(identityModel(), {
        executionProviders: [provider],
        logSeverityLevel: 4,
      });
      await session.release();
      return provider;
    } catch (error) {
      unavailable.set(provider, error instanceof Error ? error.message : String(error));
    }
  }
  return 'cpu';
}

function identityModel(): Uint8Array {
  const value = (name: string): object => ({
    name,
    type: { tensorType: { elemType: ElemType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } },
  });
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'probe',
      node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
      input: [value('x')],
      output: [value('y')],
    },
  }).finish();
}

/** onnxruntime tensors over the same memory (CPU tensors wrap JS buffers without a copy). */
function toOrt(feeds: Readonly<Record<string, Tensor>>): Record<string, ort.Tensor> {
  const converted: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds))
    converted[name] = new ort.Tensor(t.type, t.data, t.dims);
  return converted;
}

function fromOrt(value: ort.Tensor): Tensor {
  const type: string = value.type;
  if (type !== 'float32' && type !== 'int64') throw new Error(`unexpected output type ${type}`);
  return type === 'float32'
    ? new Tensor('float32', value.data as Float32Array, value.dims, () => value.dispose())
    : new Tensor('int64', value.data as BigInt64Array, value.dims, () => value.dispose());
}
