import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseBlip2Config,
  type Blip2Config,
} from '../../../native-models/builder/architectures/blip-2-config.ts';
import { MANIFEST_FILE, manifestSchema, type Manifest } from '../../../native-models/manifest.ts';
import { loadPreprocessorConfig, type PreprocessorConfig } from '../image/preprocess.ts';
import { GraphSession } from '../runtime/ort.ts';
import type { ProviderName, RuntimeOptions } from '../runtime/providers.ts';
import { loadTokenizer, type TextTokenizer } from '../text/tokenizer.ts';

export function readManifest(dir: string): Manifest {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) {
    throw new Error(
      `${dir} is not a converted Sightline model (no ${MANIFEST_FILE}); run: sightline models convert <hf-dir> ${dir}`,
    );
  }
  const parsed = manifestSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success)
    throw new Error(
      `${path} is invalid or from another Sightline version: ${parsed.error.message}`,
    );
  return parsed.data;
}

export interface SessionReport {
  graph: string;
  provider: ProviderName;
  fallbacks: { provider: ProviderName; error: string }[];
}

/** A folder written by `sightline models convert`: manifest, config, tokenizer, lazily opened graphs. */
export class ConvertedModel {
  private readonly sessions = new Map<string, Promise<GraphSession>>();
  private readonly reports: SessionReport[] = [];

  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
    readonly config: Blip2Config,
    readonly preprocessor: PreprocessorConfig,
    readonly tokenizer: TextTokenizer,
    readonly runtime: RuntimeOptions,
  ) {}

  static async load(
    dir: string,
    runtime: RuntimeOptions,
    expected: Manifest['architecture'],
  ): Promise<ConvertedModel> {
    const manifest = readManifest(dir);
    if (manifest.architecture !== expected) {
      throw new Error(
        `${dir} holds a ${manifest.architecture}; this command needs a converted ${expected}`,
      );
    }
    const config = parseBlip2Config(
      JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>,
    );
    const [preprocessor, tokenizer] = await Promise.all([
      loadPreprocessorConfig(dir),
      loadTokenizer(dir),
    ]);
    return new ConvertedModel(dir, manifest, config, preprocessor, tokenizer, runtime);
  }

  /** The named graph's session, created on first use. */
  session(graph: string): Promise<GraphSession> {
    let pending = this.sessions.get(graph);
    if (!pending) {
      const spec = this.manifest.graphs[graph];
      if (!spec) throw new Error(`${this.dir}: manifest has no graph named ${graph}`);
      pending = GraphSession.open(join(this.dir, spec.file), this.runtime).then((opened) => {
        this.reports.push({ graph, provider: opened.provider, fallbacks: opened.fallbacks });
        return opened.session;
      });
      this.sessions.set(graph, pending);
    }
    return pending;
  }

  /** Which provider each opened graph runs on. */
  get providers(): readonly SessionReport[] {
    return this.reports;
  }

  async release(): Promise<void> {
    const sessions = await Promise.allSettled([...this.sessions.values()]);
    this.sessions.clear();
    const opened = sessions.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    await Promise.all(opened.map((session) => session.release()));
  }
}

/** Equal fingerprints mean equal vision weights: one photo's image embeddings serve both models. */
export function sharesVisionTower(a: Manifest, b: Manifest): boolean {
  return a.visionFingerprint === b.visionFingerprint && a.imageSize === b.imageSize;
}
