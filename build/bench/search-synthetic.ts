/**
 * Synthetic BLIP-2-like ITC embeddings for the search bench and the vector tests. What matters
 * for the pooled-vs-per-query trade-off is reproduced: photos cluster by topic, each photo's Q
 * query vectors are related but not identical (a shared photo component, a per-slot component
 * every photo shares, and per-slot detail), and text queries sometimes match a single query
 * vector strongly (a "detail" query) rather than the photo as a whole (a "topic" query).
 * Everything is seeded and each photo is generated independently, so any photo can be
 * regenerated on its own.
 */
import type { LibraryDatabase } from '../../src-main/library/db/database.ts';
import { encodeFp16 } from '../../src-main/library/vector/fp16.ts';

export interface SyntheticSpec {
  rows: number;
  dimensions: number;
  topics: number;
  seed: number;
}

/** mulberry32: tiny, fast, good enough for test data. */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rng: () => number): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Random direction with expected norm 1 (entries N(0, 1/E)). */
function randomVector(rng: () => number, dimensions: number): Float32Array {
  const v = new Float32Array(dimensions);
  const sigma = 1 / Math.sqrt(dimensions);
  for (let i = 0; i < dimensions; i++) v[i] = gaussian(rng) * sigma;
  return v;
}

function normalizeInPlace(v: Float32Array, offset = 0, length = v.length): void {
  let norm = 0;
  for (let i = offset; i < offset + length; i++) norm += v[i]! * v[i]!;
  const scale = 1 / Math.sqrt(norm);
  for (let i = offset; i < offset + length; i++) v[i]! *= scale;
}

// Mixing weights: intra-photo cosine between query vectors comes out around 0.5.
const TOPIC_SPREAD = 0.8;
const SLOT_WEIGHT = 0.5;
const DETAIL_WEIGHT = 0.8;

export class SyntheticLibrary {
  private readonly topicCenters: Float32Array[];
  private readonly slotDirections: Float32Array[];

  constructor(readonly spec: SyntheticSpec) {
    const rng = createRng(spec.seed);
    this.topicCenters = Array.from({ length: spec.topics }, () => {
      const v = randomVector(rng, spec.dimensions);
      normalizeInPlace(v);
      return v;
    });
    this.slotDirections = Array.from({ length: spec.rows }, () =>
      randomVector(rng, spec.dimensions),
    );
  }

  topicOf(photo: number): number {
    return Math.floor(createRng(this.spec.seed ^ (photo * 2654435761))() * this.spec.topics);
  }

  /** rows×dimensions, each row L2-normalised. */
  photoVectors(photo: number): Float32Array {
    const { rows, dimensions } = this.spec;
    const rng = createRng(this.spec.seed ^ (photo * 2654435761));
    const topic = this.topicCenters[Math.floor(rng() * this.spec.topics)]!;
    const center = randomVector(rng, dimensions);
    for (let d = 0; d < dimensions; d++) center[d] = topic[d]! + TOPIC_SPREAD * center[d]!;
    normalizeInPlace(center);
    const out = new Float32Array(rows * dimensions);
    // Detail noise is uniform (same variance as the Gaussian): 10× cheaper at a billion values.
    const detail = (DETAIL_WEIGHT * Math.sqrt(3)) / Math.sqrt(dimensions);
    for (let r = 0; r < rows; r++) {
      const slot = this.slotDirections[r]!;
      const base = r * dimensions;
      for (let d = 0; d < dimensions; d++) {
        out[base + d] = center[d]! + SLOT_WEIGHT * slot[d]! + detail * (2 * rng() - 1);
      }
      normalizeInPlace(out, base, dimensions);
    }
    return out;
  }

  /**
   * A normalised text-query vector. Even queries describe a photo's topic; odd ones a detail of
   * one photo, i.e. close to one of its query vectors (the case a pooled vector handles worst).
   */
  query(index: number, photoCount: number): Float32Array {
    const rng = createRng((this.spec.seed + 7919 * (index + 1)) >>> 0);
    const noise = randomVector(rng, this.spec.dimensions);
    const q = new Float32Array(this.spec.dimensions);
    if (index % 2 === 0) {
      const topic = this.topicCenters[Math.floor(rng() * this.spec.topics)]!;
      for (let d = 0; d < q.length; d++) q[d] = topic[d]! + 1.0 * noise[d]!;
    } else {
      const photo = Math.floor(rng() * photoCount);
      const slot = Math.floor(rng() * this.spec.rows);
      const vectors = this.photoVectors(photo);
      const base = slot * this.spec.dimensions;
      for (let d = 0; d < q.length; d++) q[d] = vectors[base + d]! + 1.0 * noise[d]!;
    }
    normalizeInPlace(q);
    return q;
  }
}

/** Inserts photos `first ..< first+count` (ids 1-based: photo i gets id i+1) with embeddings. */
export function writeSyntheticEmbeddings(
  db: LibraryDatabase,
  library: SyntheticLibrary,
  target: { modelKey: string; kind: string; first: number; count: number; batch?: number },
): void {
  const photo = db.prepare<[number, string]>(
    'INSERT OR IGNORE INTO photos (id, content_hash, byte_size, created_at) VALUES (?, ?, 0, 0)',
  );
  const embedding = db.prepare<[number, string, string, number, number, Buffer]>(
    `INSERT OR REPLACE INTO embeddings (photo_id, model_key, kind, rows, cols, vectors)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const { rows, dimensions } = library.spec;
  const batch = target.batch ?? 2000;
  const end = target.first + target.count;
  for (let start = target.first; start < end; start += batch) {
    db.transaction(() => {
      for (let i = start; i < Math.min(end, start + batch); i++) {
        photo.run(i + 1, `synthetic-${i}`);
        const blob = encodeFp16(library.photoVectors(i));
        embedding.run(i + 1, target.modelKey, target.kind, rows, dimensions, blob);
      }
    })();
  }
}
