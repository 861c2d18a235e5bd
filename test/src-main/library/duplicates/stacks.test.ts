import { describe, expect, it } from 'vitest';
import { hammingDistance } from '../../../../src-main/library/duplicates/perceptual-hash.ts';
import {
  stackNearDuplicates,
  type HashedPhoto,
} from '../../../../src-main/library/duplicates/stacks.ts';

/** The same stacks by comparing every pair (what the BK-tree must agree with). */
function bruteForce(photos: readonly HashedPhoto[], maxDistance: number): number[][] {
  const group = new Map(photos.map((p) => [p.photoId, p.photoId]));
  const find = (id: number): number => (group.get(id) === id ? id : find(group.get(id)!));
  for (const a of photos) {
    for (const b of photos) {
      if (a.photoId < b.photoId && hammingDistance(a.hash, b.hash) <= maxDistance) {
        const [x, y] = [find(a.photoId), find(b.photoId)];
        if (x !== y) group.set(Math.max(x, y), Math.min(x, y));
      }
    }
  }
  const stacks = new Map<number, number[]>();
  for (const p of photos)
    stacks.set(find(p.photoId), [...(stacks.get(find(p.photoId)) ?? []), p.photoId]);
  return [...stacks.values()]
    .filter((s) => s.length > 1)
    .map((s) => s.sort((x, y) => x - y))
    .sort((x, y) => x[0]! - y[0]!);
}

/** A deterministic 64-bit generator (xorshift), so a failure can be replayed. */
function randomHashes(count: number, seed: bigint): bigint[] {
  const mask = (1n << 64n) - 1n;
  let state = seed;
  return Array.from({ length: count }, () => {
    state ^= (state << 13n) & mask;
    state ^= state >> 7n;
    state ^= (state << 17n) & mask;
    return state;
  });
}

describe('stackNearDuplicates', () => {
  it('counts bits apart', () => {
    expect(hammingDistance(0b1011n, 0b0001n)).toBe(2);
    expect(hammingDistance((1n << 64n) - 1n, 0n)).toBe(64);
  });

  it('agrees with comparing every pair, chains included', () => {
    const bases = randomHashes(40, 0x9e3779b97f4a7c15n);
    const photos: HashedPhoto[] = [];
    let id = 1;
    for (const [i, base] of bases.entries()) {
      photos.push({ photoId: id++, hash: base });
      // Some pictures get copies a few bits away, and copies of copies (a chain).
      if (i % 3 === 0) photos.push({ photoId: id++, hash: base ^ 0b101n });
      if (i % 6 === 0) photos.push({ photoId: id++, hash: base ^ 0b101n ^ (0b1111n << 20n) });
    }
    for (const maxDistance of [0, 4, 6, 12]) {
      expect(stackNearDuplicates(photos, maxDistance)).toEqual(bruteForce(photos, maxDistance));
    }
    const stacks = stackNearDuplicates(photos, 6);
    expect(stacks.some((stack) => stack.length === 3)).toBe(true);
  });

  it('leaves a library without copies unstacked', () => {
    expect(stackNearDuplicates([])).toEqual([]);
    expect(
      stackNearDuplicates([
        { photoId: 1, hash: 0n },
        { photoId: 2, hash: (1n << 64n) - 1n },
      ]),
    ).toEqual([]);
  });
});
