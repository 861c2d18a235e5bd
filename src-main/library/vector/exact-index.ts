/**
 * Exact brute force: every photo's fp16 matrix decoded once into Float32 blocks kept in memory,
 * scored with tight loops on each query. Always correct, needs no extension, and costs
 * rows·dims·4 bytes per photo (32·256·4 = 32 KiB: 3.3 GB at 100k photos) and one full scan per
 * query. It is the ground truth the approximate engines are measured against.
 */
import type { EmbeddingSource } from './embedding-source.ts';
import { maxSim, TopK, type SearchHit } from './max-sim.ts';
import { validateK, validateQuery } from './search-input.ts';
import type { IndexStrategy, SearchOptions, SyncReport, VectorIndex } from './types.ts';

// Photos per block: growth allocates one block at a time (no giant reallocation and copy).
const BLOCK_PHOTOS = 1024;

export class ExactVectorIndex implements VectorIndex {
  readonly engine = 'exact';
  readonly strategy: IndexStrategy = 'per-query';
  readonly dimensions: number;
  private readonly rows: number;
  private readonly stride: number;
  private readonly blocks: Float32Array[] = [];
  private readonly slotPhoto: number[] = [];
  private readonly slotToken: number[] = [];
  private readonly photoSlot = new Map<number, number>();
  private closed = false;

  constructor(private readonly source: EmbeddingSource) {
    this.dimensions = source.shape.dimensions;
    this.rows = source.shape.rows;
    this.stride = this.rows * this.dimensions;
  }

  count(): number {
    return this.slotPhoto.length;
  }

  sync(): SyncReport {
    this.assertOpen();
    const started = performance.now();
    const { tokens, skipped } = this.source.list();
    let removed = 0;
    let updated = 0;
    // Walk backwards so swap-removal never moves a slot we have yet to visit.
    for (let slot = this.slotPhoto.length - 1; slot >= 0; slot--) {
      const photoId = this.slotPhoto[slot]!;
      const token = tokens.get(photoId);
      if (token === this.slotToken[slot]) continue;
      if (token !== undefined) updated++;
      this.removeSlot(slot);
      removed++;
    }
    const missing = [...tokens.keys()].filter((id) => !this.photoSlot.has(id));
    let added = 0;
    this.source.forEach(missing, (photoId, vectors) => {
      const slot = this.slotPhoto.length;
      const block = this.blockFor(slot);
      block.set(vectors, (slot % BLOCK_PHOTOS) * this.stride);
      this.slotPhoto.push(photoId);
      this.slotToken.push(tokens.get(photoId)!);
      this.photoSlot.set(photoId, slot);
      added++;
    });
    this.releaseEmptyBlocks();
    return {
      added,
      removed,
      updated,
      skipped,
      total: this.count(),
      ms: performance.now() - started,
    };
  }

  search(query: Float32Array, k: number, opts: SearchOptions = {}): SearchHit[] {
    this.assertOpen();
    validateQuery(query, this.dimensions);
    validateK(k);
    const top = new TopK(k);
    const candidates = opts.candidatePhotoIds;
    if (candidates) {
      for (const photoId of candidates) {
        const slot = this.photoSlot.get(photoId);
        if (slot !== undefined) top.offer(photoId, this.scoreSlot(slot, query));
      }
      return top.results();
    }
    const total = this.slotPhoto.length;
    for (let b = 0; b < this.blocks.length; b++) {
      const block = this.blocks[b]!;
      const first = b * BLOCK_PHOTOS;
      const end = Math.min(BLOCK_PHOTOS, total - first);
      for (let i = 0; i < end; i++) {
        const score = maxSim(block, i * this.stride, this.rows, query);
        if (score >= top.threshold) top.offer(this.slotPhoto[first + i]!, score);
      }
    }
    return top.results();
  }

  close(): void {
    this.closed = true;
    this.blocks.length = 0;
    this.slotPhoto.length = 0;
    this.slotToken.length = 0;
    this.photoSlot.clear();
  }

  private scoreSlot(slot: number, query: Float32Array): number {
    const block = this.blocks[Math.floor(slot / BLOCK_PHOTOS)]!;
    return maxSim(block, (slot % BLOCK_PHOTOS) * this.stride, this.rows, query);
  }

  private blockFor(slot: number): Float32Array {
    const index = Math.floor(slot / BLOCK_PHOTOS);
    while (this.blocks.length <= index)
      this.blocks.push(new Float32Array(BLOCK_PHOTOS * this.stride));
    return this.blocks[index]!;
  }

  /** Moves the last slot into `slot` so the occupied slots stay contiguous. */
  private removeSlot(slot: number): void {
    const last = this.slotPhoto.length - 1;
    this.photoSlot.delete(this.slotPhoto[slot]!);
    if (slot !== last) {
      const from = this.blocks[Math.floor(last / BLOCK_PHOTOS)]!;
      const fromOffset = (last % BLOCK_PHOTOS) * this.stride;
      const to = this.blocks[Math.floor(slot / BLOCK_PHOTOS)]!;
      to.set(
        from.subarray(fromOffset, fromOffset + this.stride),
        (slot % BLOCK_PHOTOS) * this.stride,
      );
      this.slotPhoto[slot] = this.slotPhoto[last]!;
      this.slotToken[slot] = this.slotToken[last]!;
      this.photoSlot.set(this.slotPhoto[slot], slot);
    }
    this.slotPhoto.pop();
    this.slotToken.pop();
  }

  private releaseEmptyBlocks(): void {
    const needed = Math.ceil(this.slotPhoto.length / BLOCK_PHOTOS);
    this.blocks.length = Math.min(this.blocks.length, needed);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('vector index is closed');
  }
}
