import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SafetensorsFile,
  toFloat32,
  type SafetensorsDtype,
  type TensorInfo,
} from './safetensors.ts';

export interface FloatTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
  /** Dtype as stored in the checkpoint (the data above is always float32). */
  readonly storedDtype: SafetensorsDtype;
}

/**
 * A Hugging Face model folder: config.json plus one `model.safetensors` or shards listed in
 * `model.safetensors.index.json`. Tensors are read lazily; every tensor handed out is recorded so
 * a converter can prove it used the whole checkpoint (an unmapped tensor means an unsupported
 * variant, which must be an error rather than a silently wrong model).
 */
export class HfCheckpoint {
  readonly config: Record<string, unknown>;
  private readonly files: SafetensorsFile[] = [];
  private readonly index = new Map<string, { file: SafetensorsFile; info: TensorInfo }>();
  private readonly consumed = new Set<string>();
  /** Called after every tensor read (progress reporting). */
  onRead: ((info: TensorInfo) => void) | undefined;

  constructor(readonly dir: string) {
    const configPath = join(dir, 'config.json');
    if (!existsSync(configPath))
      throw new Error(`${dir}: no config.json (is this a Hugging Face model folder?)`);
    this.config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    for (const path of findWeightFiles(dir)) {
      const file = new SafetensorsFile(path);
      this.files.push(file);
      for (const info of file.tensors.values()) {
        if (this.index.has(info.name))
          throw new Error(`${dir}: tensor ${info.name} appears in two shards`);
        this.index.set(info.name, { file, info });
      }
    }
  }

  get tensorNames(): string[] {
    return [...this.index.keys()];
  }

  has(name: string): boolean {
    return this.index.has(name);
  }

  info(name: string): TensorInfo {
    const entry = this.index.get(name);
    if (!entry) throw new Error(`${this.dir}: checkpoint has no tensor named ${name}`);
    return entry.info;
  }

  /** Reads one tensor as float32 and marks it used. Throws with the tensor's name if missing. */
  read(name: string, expectedShape?: readonly number[]): FloatTensor {
    const entry = this.index.get(name);
    if (!entry) throw new Error(`${this.dir}: checkpoint has no tensor named ${name}`);
    const { info, file } = entry;
    if (expectedShape && !sameShape(info.shape, expectedShape)) {
      throw new Error(
        `${this.dir}: tensor ${name} has shape [${info.shape.join(', ')}], config implies [${expectedShape.join(', ')}]`,
      );
    }
    this.consumed.add(name);
    const data = toFloat32(file.readBytes(info), info.dtype);
    this.onRead?.(info);
    return { name, shape: info.shape, data, storedDtype: info.dtype };
  }

  /** Raw stored bytes (for fingerprints that must not depend on conversion). */
  readRaw(name: string): Buffer {
    const entry = this.index.get(name);
    if (!entry) throw new Error(`${this.dir}: checkpoint has no tensor named ${name}`);
    return entry.file.readBytes(entry.info);
  }

  /** Marks tensors as deliberately unused (e.g. an lm_head tied to the embeddings). */
  markUsed(name: string): void {
    if (this.index.has(name)) this.consumed.add(name);
  }

  /** Throws naming every tensor no converter consumed. */
  assertAllConsumed(): void {
    const left = this.tensorNames.filter((n) => !this.consumed.has(n));
    if (left.length > 0) {
      const shown = left.slice(0, 20).join(', ');
      throw new Error(
        `${this.dir}: ${left.length} checkpoint tensor(s) are not mapped by the converter: ${shown}${left.length > 20 ? ', …' : ''}`,
      );
    }
  }

  /** The dtype most weights are stored in (what the checkpoint "is"). */
  dominantDtype(): SafetensorsDtype {
    const bytes = new Map<SafetensorsDtype, number>();
    for (const { info } of this.index.values()) {
      bytes.set(info.dtype, (bytes.get(info.dtype) ?? 0) + info.end - info.begin);
    }
    return [...bytes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'F32';
  }

  totalBytes(): number {
    let total = 0;
    for (const { info } of this.index.values()) total += info.end - info.begin;
    return total;
  }

  close(): void {
    for (const file of this.files) file.close();
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function findWeightFiles(dir: string): string[] {
  const indexPath = join(dir, 'model.safetensors.index.json');
  if (existsSync(indexPath)) {
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as {
      weight_map?: Record<string, string>;
    };
    const shards = [...new Set(Object.values(index.weight_map ?? {}))].sort();
    if (shards.length === 0) throw new Error(`${indexPath}: weight_map is empty`);
    for (const shard of shards) {
      if (!existsSync(join(dir, shard)))
        throw new Error(`${dir}: shard ${shard} listed in the index is missing`);
    }
    return shards.map((s) => join(dir, s));
  }
  if (existsSync(join(dir, 'model.safetensors'))) return [join(dir, 'model.safetensors')];
  const hasBin = readdirSync(dir).some((f) => f.endsWith('.bin'));
  throw new Error(
    hasBin
      ? `${dir}: only PyTorch .bin weights found; Sightline reads safetensors (convert with transformers' save_pretrained(safe_serialization=True))`
      : `${dir}: no model.safetensors or model.safetensors.index.json`,
  );
}
