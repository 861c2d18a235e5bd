import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  MODEL_CATALOG,
  approxAtPrecision,
  findCatalogEntry,
  type CatalogEntry,
} from '../../native-models/catalog.ts';
import { Blip2Captioner } from '../engine/blip2/captioner.ts';
import { readManifest, type ConvertedModel } from '../engine/blip2/converted-model.ts';
import { Blip2Retrieval } from '../engine/blip2/retrieval.ts';
import type { RuntimeOptions } from '../engine/runtime/providers.ts';
import { directoryBytes } from '../library/hub/disk.ts';
import { readDownloadRecord } from '../library/hub/download-record.ts';
import {
  ROLE_OF,
  downloadDirFor,
  readManifestIn,
  setupModel,
  type SetupProgress,
} from '../library/hub/setup.ts';
import { modelKey } from '../library/models.ts';
import { CAPTION_MODEL_NAME, SEARCH_MODEL_NAME, resolveModelDir } from '../library/paths.ts';
import type { AppEvent } from '../shared/app-events.ts';
import { AppError } from '../shared/app-error.ts';
import type { ModelEntry, ModelStatus } from '../shared/app-schemas.ts';

export interface ModelHostOptions {
  modelsDir: string;
  captionModelDir?: string;
  searchModelDir?: string;
  runtime: RuntimeOptions;
  /** Hugging Face endpoint for `setupModels` (default: HF_ENDPOINT, else huggingface.co). */
  hubEndpoint?: string;
  emit: (event: AppEvent) => void;
}

type Role = 'caption' | 'search';
/** Progress events are throttled: a multi-GB download reports thousands of chunks. */
const PROGRESS_EVERY_MS = 200;

/**
 * The BLIP-2 models behind the app: loaded on first use (several GB for the real checkpoints, so
 * never at start-up), installed from the Hub on request, reported without loading anything.
 */
export class ModelHost {
  private captionerLoad: Promise<Blip2Captioner> | null = null;
  private retrievalLoad: Promise<Blip2Retrieval> | null = null;
  private readonly setups = new Map<
    string,
    { state: 'running' | 'failed'; error: string | null }
  >();
  private setupQueue: Promise<void> = Promise.resolve();
  /** Loaded models, for reporting which execution provider their graphs run on. */
  private readonly loadedModels: Partial<Record<Role, ConvertedModel>> = {};
  /** Aborts downloads still running when the app closes (a later setup resumes them). */
  private readonly setupAbort = new AbortController();

  constructor(private readonly options: ModelHostOptions) {}

  dir(role: Role): string {
    const explicit =
      role === 'caption' ? this.options.captionModelDir : this.options.searchModelDir;
    return (
      explicit ??
      join(this.options.modelsDir, role === 'caption' ? CAPTION_MODEL_NAME : SEARCH_MODEL_NAME)
    );
  }

  /** The converted folder for the role, or an `unavailable` error saying how to install it. */
  requireDir(role: Role): string {
    try {
      return resolveModelDir(role, this.dir(role));
    } catch (error) {
      throw new AppError('unavailable', error instanceof Error ? error.message : String(error));
    }
  }

  /** The key stored results of the role's model carry, read from its manifest (nothing loaded). */
  modelKeyOf(role: Role): string | null {
    const dir = this.dir(role);
    return readManifestIn(dir) ? modelKey(readManifest(dir)) : null;
  }

  captioner(): Promise<Blip2Captioner> {
    this.captionerLoad ??= this.load(() =>
      Blip2Captioner.load(this.requireDir('caption'), this.options.runtime),
    ).then(
      (captioner) => {
        this.loadedModels.caption = captioner.model;
        return captioner;
      },
      (error: unknown) => {
        this.captionerLoad = null; // a later call retries (e.g. after setupModels)
        throw error;
      },
    );
    return this.captionerLoad;
  }

  retrieval(): Promise<Blip2Retrieval> {
    this.retrievalLoad ??= this.load(() =>
      Blip2Retrieval.load(this.requireDir('search'), this.options.runtime),
    ).then(
      (retrieval) => {
        this.loadedModels.search = retrieval.model;
        return retrieval;
      },
      (error: unknown) => {
        this.retrievalLoad = null;
        throw error;
      },
    );
    return this.retrievalLoad;
  }

  private async load<T>(loader: () => Promise<T>): Promise<T> {
    // Deferred one tick so a synchronous requireDir failure becomes a rejected promise.
    await Promise.resolve();
    return loader();
  }

  status(): ModelStatus {
    const names = new Set(MODEL_CATALOG.map((e) => e.name));
    const { modelsDir } = this.options;
    const others = existsSync(modelsDir)
      ? readdirSync(modelsDir).filter(
          (name) => name !== 'hf' && !names.has(name) && readManifestIn(join(modelsDir, name)),
        )
      : [];
    return {
      models: [
        ...MODEL_CATALOG.map((entry) => this.entry(entry.name, entry)),
        ...others.sort().map((name) => this.entry(name, null)),
      ],
      caption: this.roleStatus('caption', this.captionerLoad),
      search: this.roleStatus('search', this.retrievalLoad),
    };
  }

  private roleStatus(role: Role, load: Promise<unknown> | null): ModelStatus['caption'] {
    const dir = this.dir(role);
    const ready = readManifestIn(dir) !== null;
    const reports = this.loadedModels[role]?.providers ?? [];
    const fallbacks = reports.flatMap((report) => report.fallbacks);
    return {
      dir,
      ready,
      loaded: load !== null,
      preferredProviders: [...this.options.runtime.providers],
      providers: [...new Set(reports.map((report) => report.provider))],
      providerNote:
        fallbacks.length === 0
          ? null
          : [
              ...new Map(fallbacks.map((f) => [f.provider, `${f.provider}: ${f.error}`])).values(),
            ].join('; '),
      weightBytes: ready ? directoryBytes(dir) : 0,
    };
  }

  private entry(name: string, catalog: CatalogEntry | null): ModelEntry {
    const convertedDir = join(this.options.modelsDir, name);
    const downloadDir = downloadDirFor(this.options.modelsDir, name);
    const manifest = readManifestIn(convertedDir);
    const record = readDownloadRecord(downloadDir);
    const setup = this.setups.get(name);
    return {
      name,
      repoId: catalog?.repoId ?? manifest?.source.repoId ?? null,
      role: catalog?.role ?? (manifest ? ROLE_OF[manifest.architecture] : null),
      isDefault: catalog?.isDefault ?? false,
      purpose: catalog?.purpose ?? null,
      state: manifest
        ? 'converted'
        : record
          ? 'downloaded'
          : existsSync(downloadDir)
            ? 'partial'
            : 'missing',
      approxDownloadBytes: catalog?.approx.downloadBytes ?? null,
      approxMemoryBytes: catalog
        ? manifest
          ? approxAtPrecision(catalog, manifest.precision).memoryBytes
          : catalog.approx.memoryBytes
        : null,
      convertedBytes: directoryBytes(convertedDir),
      downloadBytes: directoryBytes(downloadDir),
      setup: setup?.state ?? 'idle',
      setupError: setup?.error ?? null,
    };
  }

  /** Queues download + conversion of catalog models (one at a time); returns the names queued. */
  setup(names: readonly string[]): string[] {
    const entries = names.map((name) => {
      const entry = findCatalogEntry(name);
      if (!entry) {
        const known = MODEL_CATALOG.map((e) => e.name).join(', ');
        throw new AppError('not-found', `unknown model "${name}" (known: ${known})`);
      }
      return entry;
    });
    const started: string[] = [];
    for (const entry of entries) {
      if (this.setups.get(entry.name)?.state === 'running' || started.includes(entry.name))
        continue;
      this.setups.set(entry.name, { state: 'running', error: null });
      started.push(entry.name);
      this.setupQueue = this.setupQueue.then(() => this.runSetup(entry));
    }
    return started;
  }

  /** Resolves once every queued setup has finished (successfully or not). */
  async setupsSettled(): Promise<void> {
    await this.setupQueue;
  }

  private async runSetup(entry: CatalogEntry): Promise<void> {
    let lastEmit = 0;
    let lastPhase = '';
    const progress = (p: SetupProgress): void => {
      const now = Date.now();
      if (p.phase === lastPhase && now - lastEmit < PROGRESS_EVERY_MS) return;
      lastEmit = now;
      lastPhase = p.phase;
      this.options.emit(setupEvent(entry.name, p));
    };
    try {
      const result = await setupModel(entry, {
        modelsDir: this.options.modelsDir,
        // Precision auto: the default of the provider these models will run on.
        providers: this.options.runtime.providers,
        signal: this.setupAbort.signal,
        ...(this.options.hubEndpoint ? { endpoint: this.options.hubEndpoint } : {}),
        onProgress: progress,
      });
      this.setups.delete(entry.name);
      this.options.emit({
        type: 'model-setup-progress',
        name: entry.name,
        phase: 'done',
        doneBytes: result.convertedBytes,
        totalBytes: result.convertedBytes,
        bytesPerSecond: null,
        etaSeconds: 0,
        detail: result.summary,
        error: null,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.setups.set(entry.name, { state: 'failed', error: message });
      this.options.emit({
        type: 'model-setup-progress',
        name: entry.name,
        phase: 'error',
        doneBytes: 0,
        totalBytes: 0,
        bytesPerSecond: null,
        etaSeconds: null,
        detail: null,
        error: message,
      });
    }
  }

  async release(): Promise<void> {
    const loads = [this.captionerLoad, this.retrievalLoad];
    this.captionerLoad = null;
    this.retrievalLoad = null;
    delete this.loadedModels.caption;
    delete this.loadedModels.search;
    this.setupAbort.abort();
    await this.setupQueue;
    await Promise.all(
      loads.map(async (load) => {
        const model = await load?.catch(() => null);
        await model?.release();
      }),
    );
  }
}

function setupEvent(name: string, p: SetupProgress): AppEvent {
  if (p.phase === 'download') {
    const current = p.files.find((f) => f.state === 'downloading' || f.state === 'verifying');
    return {
      type: 'model-setup-progress',
      name,
      phase: 'download',
      doneBytes: p.doneBytes,
      totalBytes: p.totalBytes,
      bytesPerSecond: p.bytesPerSecond,
      etaSeconds: p.etaSeconds,
      detail: current?.file ?? null,
      error: null,
    };
  }
  return {
    type: 'model-setup-progress',
    name,
    phase: 'convert',
    doneBytes: p.bytesRead,
    totalBytes: p.bytesTotal,
    bytesPerSecond: null,
    etaSeconds: null,
    detail: p.graph,
    error: null,
  };
}
