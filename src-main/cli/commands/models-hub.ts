import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  MODEL_CATALOG,
  findCatalogEntry,
  modelSourceFor,
  type CatalogEntry,
} from '../../../native-models/catalog.ts';
import { directoryBytes } from '../../library/hub/disk.ts';
import { readDownloadRecord } from '../../library/hub/download-record.ts';
import {
  ROLE_OF,
  downloadDirFor,
  readManifestIn,
  setupModel,
  type SetupProgress,
} from '../../library/hub/setup.ts';
import { defaultModelsDir } from '../../library/paths.ts';
import type { PrecisionChoice } from '../../../native-models/builder/precision.ts';
import { byteProgress, formatBytes, note, printJson, type ProgressBar } from '../output.ts';
import { precisionOption } from '../precision-flag.ts';

interface PullFlags {
  endpoint?: string;
  revision?: string;
  from?: string;
  convert: boolean;
  keepDownload: boolean;
  json?: boolean;
  precision: PrecisionChoice;
}

/** Adds `pull`, `list` and `remove` to the `sightline models` command. */
export function registerModelHubCommands(models: Command): void {
  models
    .command('pull')
    .description(
      'download a BLIP-2 checkpoint from the Hugging Face Hub (resumable; reuses the Hugging Face cache) and convert it',
    )
    .argument('<model>', `catalog name (${MODEL_CATALOG.map((e) => e.name).join(', ')}) or repo id`)
    .option('--endpoint <url>', 'Hub or mirror URL (default: HF_ENDPOINT, else huggingface.co)')
    .option('--revision <rev>', 'branch or commit to fetch instead of the catalog revision')
    .option('--from <dir>', 'convert a checkpoint folder already on disk instead of downloading')
    .option('--no-convert', 'download only')
    .option(
      '--no-keep-download',
      'delete the downloaded checkpoint once converted (not kept twice; a later pull downloads it again)',
    )
    .option('--json', 'print the result as JSON')
    .addOption(precisionOption())
    .action(async (ref: string, flags: PullFlags) => {
      const source = modelSourceFor(ref, flags.revision);
      const progress = setupProgressBar();
      const controller = new AbortController();
      const cancel = (): void => controller.abort();
      process.once('SIGINT', cancel);
      try {
        const result = await setupModel(source, {
          ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
          ...(flags.from ? { localDir: flags.from } : {}),
          convert: flags.convert,
          keepDownload: flags.keepDownload,
          precision: flags.precision,
          signal: controller.signal,
          onProgress: progress.update,
        });
        progress.stop();
        if (result.pull?.source === 'hf-cache') note('reused the Hugging Face cache');
        if (result.pull?.source === 'already-downloaded') note('already downloaded');
        if (flags.json) printJson(result);
        else process.stdout.write(`${result.summary}\n`);
      } finally {
        progress.stop();
        process.removeListener('SIGINT', cancel);
      }
    });

  models
    .command('list')
    .description('the models Sightline can install, and what is installed')
    .option('--json', 'print the list as JSON')
    .action((flags: { json?: boolean }) => {
      const rows = listModels(defaultModelsDir());
      if (flags.json) {
        printJson(rows);
        return;
      }
      for (const row of rows) {
        const state = row.converted
          ? `installed (${row.precision}, ${formatBytes(row.convertedBytes)}${row.download === 'complete' ? ` + ${formatBytes(row.downloadBytes)} download` : ''})`
          : row.download === 'complete'
            ? `downloaded, not converted (${formatBytes(row.downloadBytes)})`
            : row.download === 'partial'
              ? `partly downloaded (${formatBytes(row.downloadBytes)}; pull again to resume)`
              : `not installed (download ≈${formatBytes(row.approxDownloadBytes ?? 0)})`;
        const role = row.role ? `${row.role}${row.isDefault ? ', default' : ''}` : 'other';
        process.stdout.write(`${row.name.padEnd(22)} ${role.padEnd(17)} ${state}\n`);
      }
    });

  models
    .command('remove')
    .description('delete an installed model (the converted folder and its download)')
    .argument('<model>', 'catalog name or repo id, or the name of a folder in the models folder')
    .option('--keep-download', 'keep the downloaded checkpoint (a later pull converts it again)')
    .action(async (ref: string, flags: { keepDownload?: boolean }) => {
      const modelsDir = defaultModelsDir();
      const name = findCatalogEntry(ref)?.name ?? ref;
      if (!/^[\w.-]+$/.test(name) || name === '.' || name === '..' || name === 'hf') {
        throw new Error(`"${ref}" is not a model name`);
      }
      const targets = [join(modelsDir, name)];
      if (!flags.keepDownload) targets.push(downloadDirFor(modelsDir, name));
      const present = targets.filter((t) => existsSync(t));
      if (present.length === 0) throw new Error(`${name} is not installed in ${modelsDir}`);
      let freed = 0;
      for (const dir of present) {
        freed += directoryBytes(dir);
        await rm(dir, { recursive: true, force: true });
      }
      process.stdout.write(`removed ${present.join(', ')} (${formatBytes(freed)})\n`);
    });
}

/** One bar per phase on stderr: the download, then the conversion. */
function setupProgressBar(): { update: (p: SetupProgress) => void; stop: () => void } {
  let bar: ProgressBar | null = null;
  let phase = '';
  return {
    update: (p) => {
      if (p.phase !== phase) {
        bar?.stop();
        phase = p.phase;
        bar = byteProgress(p.phase === 'download' ? 'downloading' : 'converting');
      }
      if (p.phase === 'download') bar?.update(p.doneBytes, p.totalBytes, downloadLabel(p));
      else bar?.update(p.bytesRead, p.bytesTotal, p.graph);
    },
    stop: () => {
      bar?.stop();
      bar = null;
    },
  };
}

function downloadLabel(p: {
  bytesPerSecond: number;
  etaSeconds: number | null;
  files: { state: string }[];
}): string {
  const done = p.files.filter((f) => f.state === 'done' || f.state === 'from-cache').length;
  const rate = p.bytesPerSecond > 0 ? `${formatBytes(p.bytesPerSecond)}/s` : '';
  const eta = p.etaSeconds !== null && p.etaSeconds > 0 ? `${Math.ceil(p.etaSeconds)} s left` : '';
  return [`${done}/${p.files.length} files`, rate, eta].filter(Boolean).join(', ');
}

export interface ModelListRow {
  name: string;
  repoId: string | null;
  role: CatalogEntry['role'] | null;
  isDefault: boolean;
  inCatalog: boolean;
  purpose: string | null;
  revision: string | null;
  /** Approximate catalog figures (null for models outside the catalog). */
  approxDownloadBytes: number | null;
  approxMemoryBytes: number | null;
  converted: boolean;
  /** Precision of the conversion (null when not converted). */
  precision: string | null;
  convertedDir: string;
  convertedBytes: number;
  download: 'complete' | 'partial' | 'none';
  downloadDir: string;
  downloadBytes: number;
}

/** Catalog entries plus any other converted model found in the models folder. */
export function listModels(modelsDir: string): ModelListRow[] {
  const rows = MODEL_CATALOG.map((entry) => rowFor(modelsDir, entry.name, entry));
  const others = existsSync(modelsDir)
    ? readdirSync(modelsDir).filter(
        (name) =>
          name !== 'hf' &&
          !findCatalogEntry(name) &&
          (readManifestIn(join(modelsDir, name)) !== null ||
            existsSync(downloadDirFor(modelsDir, name))),
      )
    : [];
  const hfOnly = existsSync(join(modelsDir, 'hf'))
    ? readdirSync(join(modelsDir, 'hf')).filter((n) => !findCatalogEntry(n) && !others.includes(n))
    : [];
  return [...rows, ...[...others, ...hfOnly].sort().map((name) => rowFor(modelsDir, name, null))];
}

function rowFor(modelsDir: string, name: string, entry: CatalogEntry | null): ModelListRow {
  const convertedDir = join(modelsDir, name);
  const downloadDir = downloadDirFor(modelsDir, name);
  const manifest = readManifestIn(convertedDir);
  const record = readDownloadRecord(downloadDir);
  return {
    name,
    repoId: entry?.repoId ?? manifest?.source.repoId ?? record?.repoId ?? null,
    role: entry?.role ?? (manifest ? ROLE_OF[manifest.architecture] : null),
    isDefault: entry?.isDefault ?? false,
    inCatalog: entry !== null,
    purpose: entry?.purpose ?? null,
    revision: record?.revision ?? manifest?.source.revision ?? entry?.revision ?? null,
    approxDownloadBytes: entry?.approx.downloadBytes ?? null,
    approxMemoryBytes: entry?.approx.memoryBytes ?? null,
    converted: manifest !== null,
    precision: manifest?.precision ?? null,
    convertedDir,
    convertedBytes: directoryBytes(convertedDir),
    download: record ? 'complete' : existsSync(downloadDir) ? 'partial' : 'none',
    downloadDir,
    downloadBytes: directoryBytes(downloadDir),
  };
}
