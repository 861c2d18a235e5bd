import type {
  CausalLanguageModel,
  EmbeddingDims,
  KvCache,
  StepOutput,
} from '../../../../src-main/engine/generation/language-model.ts';

/**
 * A pure-TypeScript stand-in for the OPT decoder: the logits are a deterministic pseudo-random
 * function of the row's full visible token history (masked positions excluded), so any mix-up of
 * cache rows, tokens or masks changes the output. Its "KV cache" is that history. It also checks
 * the caller's bookkeeping: masks must extend the previous ones by exactly one position, consumed
 * or disposed caches must not be used again, and `liveCaches` counts caches not yet disposed.
 */
export type LogitsFunction = (history: readonly number[]) => Float32Array;

export interface ToyModelOptions {
  vocabSize: number;
  seed: number;
  /** Embedding width; element 0 carries the token id, the others a checkable pattern. */
  hidden?: number;
  /** Replaces the default random logits (e.g. to force an EOS at a given length). */
  logits?: (history: readonly number[], randomLogits: Float32Array) => Float32Array;
  /** Throws from `step` on this call number (1-based), to test cleanup on errors. */
  failOnStep?: number;
}

class ToyCache implements KvCache {
  disposed = false;
  constructor(
    private readonly owner: ToyLanguageModel,
    readonly histories: readonly (readonly number[])[],
    readonly masks: readonly (readonly number[])[],
  ) {}

  get rows(): number {
    return this.histories.length;
  }

  get length(): number {
    return this.masks[0]?.length ?? 0;
  }

  dispose(): void {
    if (this.disposed) throw new Error('toy cache disposed twice');
    this.disposed = true;
    this.owner.liveCaches--;
  }
}

/** Runs `compute` now; a throw becomes a rejected promise, as from a real async model. */
function settle<T>(compute: () => T): Promise<T> {
  return new Promise((resolve) => resolve(compute()));
}

function hashHistory(seed: number, history: readonly number[]): number {
  let hash = (2166136261 ^ seed) >>> 0;
  for (const token of [history.length, ...history]) {
    hash = Math.imul(hash ^ (token & 0xffff), 16777619) >>> 0;
    hash = Math.imul(hash ^ (token >>> 16), 16777619) >>> 0;
  }
  return hash;
}

export function embeddingValue(token: number, channel: number): number {
  return channel === 0 ? token : ((token * 7 + channel * 3) % 11) / 10;
}

export class ToyLanguageModel implements CausalLanguageModel {
  readonly vocabSize: number;
  readonly hidden: number;
  liveCaches = 0;
  prefillCalls = 0;
  stepCalls = 0;
  /** The last mask column of every `step` call (the new token's mask value per row). */
  readonly newMaskColumns: number[][] = [];
  private readonly options: ToyModelOptions;

  constructor(options: ToyModelOptions) {
    this.options = options;
    this.vocabSize = options.vocabSize;
    this.hidden = options.hidden ?? 3;
  }

  /** The logits this model gives after `history` (the visible tokens of one row). */
  logitsFor(history: readonly number[]): Float32Array {
    let state = hashHistory(this.options.seed, history);
    const random = new Float32Array(this.vocabSize);
    for (let v = 0; v < this.vocabSize; v++) {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      random[v] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 6 - 3;
    }
    return this.options.logits ? this.options.logits(history, random) : random;
  }

  prefill(
    inputsEmbeds: Float32Array,
    dims: EmbeddingDims,
    attentionMask: number[][],
  ): Promise<StepOutput> {
    return settle(() => this.prefillNow(inputsEmbeds, dims, attentionMask));
  }

  step(
    tokenIds: readonly number[],
    attentionMask: number[][],
    cache: KvCache,
  ): Promise<StepOutput> {
    return settle(() => this.stepNow(tokenIds, attentionMask, cache));
  }

  private prefillNow(
    inputsEmbeds: Float32Array,
    dims: EmbeddingDims,
    attentionMask: number[][],
  ): StepOutput {
    this.prefillCalls++;
    const [rows, seq, hidden] = dims;
    if (hidden !== this.hidden) throw new Error(`hidden ${hidden} != ${this.hidden}`);
    if (inputsEmbeds.length !== rows * seq * hidden) throw new Error('embeds size mismatch');
    const histories: number[][] = [];
    for (let row = 0; row < rows; row++) {
      const mask = attentionMask[row]!;
      if (mask.length !== seq) throw new Error('prefill mask length mismatch');
      const history: number[] = [];
      for (let pos = 0; pos < seq; pos++) {
        const base = (row * seq + pos) * hidden;
        const token = inputsEmbeds[base]!;
        for (let channel = 1; channel < hidden; channel++) {
          if (Math.abs(inputsEmbeds[base + channel]! - embeddingValue(token, channel)) > 1e-6) {
            throw new Error('embedding does not encode a token');
          }
        }
        if (mask[pos] === 1) history.push(token);
      }
      histories.push(history);
    }
    return this.output(histories, attentionMask);
  }

  private stepNow(
    tokenIds: readonly number[],
    attentionMask: number[][],
    cache: KvCache,
  ): StepOutput {
    this.stepCalls++;
    const toyCache = this.check(cache);
    this.newMaskColumns.push(attentionMask.map((mask) => mask.at(-1)!));
    if (this.stepCalls === this.options.failOnStep) {
      // The contract: `step` owns the cache it is given, also when it fails.
      toyCache.dispose();
      throw new Error('toy model failure');
    }
    if (tokenIds.length !== toyCache.rows || attentionMask.length !== toyCache.rows) {
      throw new Error('step rows mismatch');
    }
    const histories = toyCache.histories.map((history, row) => {
      const mask = attentionMask[row]!;
      const past = toyCache.masks[row]!;
      if (mask.length !== past.length + 1 || past.some((value, pos) => mask[pos] !== value)) {
        throw new Error(`step mask of row ${row} does not extend the cached mask by one`);
      }
      return mask.at(-1) === 1 ? [...history, tokenIds[row]!] : [...history];
    });
    // Consumes the cache it was given, as the interface says.
    toyCache.dispose();
    return this.output(histories, attentionMask);
  }

  selectRows(cache: KvCache, indices: readonly number[]): KvCache {
    const toyCache = this.check(cache);
    const pick = <T>(rows: readonly T[]): T[] =>
      indices.map((index) => {
        if (index < 0 || index >= rows.length)
          throw new Error(`selectRows index ${index} out of range`);
        return rows[index]!;
      });
    return this.newCache(pick(toyCache.histories), pick(toyCache.masks));
  }

  private check(cache: KvCache): ToyCache {
    if (!(cache instanceof ToyCache)) throw new Error('foreign cache');
    if (cache.disposed) throw new Error('use of a disposed/consumed toy cache');
    return cache;
  }

  private newCache(
    histories: readonly (readonly number[])[],
    masks: readonly (readonly number[])[],
  ): ToyCache {
    this.liveCaches++;
    return new ToyCache(
      this,
      histories,
      masks.map((mask) => [...mask]),
    );
  }

  private output(histories: readonly (readonly number[])[], masks: number[][]): StepOutput {
    const logits = new Float32Array(histories.length * this.vocabSize);
    histories.forEach((history, row) => logits.set(this.logitsFor(history), row * this.vocabSize));
    return { logits, cache: this.newCache(histories, masks) };
  }
}

/** Left-pads token prompts and embeds them the way the toy model decodes them. */
export function embedPrompts(
  prompts: readonly (readonly number[])[],
  hidden = 3,
  padToken = 0,
): { inputsEmbeds: Float32Array; dims: EmbeddingDims; attentionMask: number[][] } {
  const rows = prompts.length;
  const seq = Math.max(...prompts.map((prompt) => prompt.length));
  const inputsEmbeds = new Float32Array(rows * seq * hidden);
  const attentionMask = prompts.map((prompt) => {
    const pads = seq - prompt.length;
    return [...new Array<number>(pads).fill(0), ...prompt.map(() => 1)];
  });
  prompts.forEach((prompt, row) => {
    const padded = [...new Array<number>(seq - prompt.length).fill(padToken), ...prompt];
    padded.forEach((token, pos) => {
      for (let channel = 0; channel < hidden; channel++) {
        inputsEmbeds[(row * seq + pos) * hidden + channel] = embeddingValue(token, channel);
      }
    });
  });
  return { inputsEmbeds, dims: [rows, seq, hidden], attentionMask };
}
