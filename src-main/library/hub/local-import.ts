import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { selectRepoFiles, type ModelSource } from '../../../native-models/catalog.ts';
import { HubError } from './errors.ts';

export interface LocalCheckpoint {
  dir: string;
  /** The files a pull would have fetched, all present. */
  files: string[];
  sizes: Map<string, number>;
}

/**
 * Uses a checkpoint folder already on disk (copied from another machine, `huggingface-cli
 * download --local-dir`, a Hub cache snapshot) instead of downloading: checks the files the model
 * needs are there, every shard the index lists exists, and config.json names the expected model.
 */
export function importLocalCheckpoint(
  dir: string,
  source: ModelSource & { architecture?: string },
): LocalCheckpoint {
  const folder = resolve(dir);
  const fail = (why: string): never => {
    throw new HubError(
      'invalid-checkpoint',
      `${folder} is not a usable ${source.repoId} checkpoint: ${why}`,
    );
  };
  if (!existsSync(folder) || !statSync(folder).isDirectory()) fail('no such folder');
  const present = readdirSync(folder).filter((f) =>
    statSync(join(folder, f), { throwIfNoEntry: false })?.isFile(),
  );
  let files: string[] = [];
  try {
    files = selectRepoFiles(source, present);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (files.includes('model.safetensors.index.json')) {
    const shards = indexedShards(join(folder, 'model.safetensors.index.json'));
    const missing = shards.filter((s) => !present.includes(s));
    if (shards.length === 0) fail('model.safetensors.index.json lists no shards');
    if (missing.length > 0) fail(`missing weight shards ${missing.join(', ')}`);
    // Only the shards the index names: a stray extra shard must not be copied or linked.
    files = files.filter((f) => !f.endsWith('.safetensors') || shards.includes(f));
  }
  if (source.architecture) {
    const found = architectureIn(join(folder, 'config.json'));
    if (found !== source.architecture) {
      fail(`config.json describes ${found || 'no architecture'}, expected ${source.architecture}`);
    }
  }
  const sizes = new Map(files.map((f) => [f, statSync(join(folder, f)).size]));
  return { dir: folder, files, sizes };
}

function indexedShards(indexPath: string): string[] {
  try {
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as {
      weight_map?: Record<string, string>;
    };
    return [...new Set(Object.values(index.weight_map ?? {}))].sort();
  } catch {
    return [];
  }
}

function architectureIn(configPath: string): string {
  try {
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as { architectures?: unknown };
    const list = config.architectures;
    return Array.isArray(list) && typeof list[0] === 'string' ? list[0] : '';
  } catch {
    return '';
  }
}
