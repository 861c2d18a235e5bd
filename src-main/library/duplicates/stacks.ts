import { hammingDistance } from './perceptual-hash.ts';

/**
 * Two pictures whose difference hashes are at most this many bits apart are one picture
 * (another format, size or compression). Chosen by measurement on labelled pairs built from
 * the test photos (test/src-main/library/duplicates/near-duplicates.test.ts): copies were at
 * most 10 bits apart, different pictures at least 19; 12 leaves room on the copies' side
 * while staying far from the nearest different picture, since a wrong stack hides a photo.
 */
export const NEAR_DUPLICATE_MAX_DISTANCE = 12;

export interface HashedPhoto {
  photoId: number;
  hash: bigint;
}

/** A metric tree over Hamming distance: finds every hash within d of a query without a full scan. */
class BkTree {
  private root: { item: HashedPhoto; children: Map<number, BkTree['root']> } | null = null;

  add(item: HashedPhoto): void {
    if (this.root === null) {
      this.root = { item, children: new Map() };
      return;
    }
    let node = this.root;
    for (;;) {
      const distance = hammingDistance(item.hash, node.item.hash);
      const child = node.children.get(distance);
      if (child === undefined || child === null) {
        node.children.set(distance, { item, children: new Map() });
        return;
      }
      node = child;
    }
  }

  within(hash: bigint, maxDistance: number): HashedPhoto[] {
    const found: HashedPhoto[] = [];
    const stack = this.root === null ? [] : [this.root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      const distance = hammingDistance(hash, node.item.hash);
      if (distance <= maxDistance) found.push(node.item);
      for (const [edge, child] of node.children) {
        if (child !== null && Math.abs(edge - distance) <= maxDistance) stack.push(child);
      }
    }
    return found;
  }
}

/**
 * Photos that are one picture, as stacks of photo ids (two or more each, ids ascending, stacks
 * ordered by their first id). Near-duplication is made transitive (a chain of close copies
 * is one stack), which is what people expect of "the same picture, saved several ways".
 */
export function stackNearDuplicates(
  photos: readonly HashedPhoto[],
  maxDistance = NEAR_DUPLICATE_MAX_DISTANCE,
): number[][] {
  const parent = new Map<number, number>(photos.map((p) => [p.photoId, p.photoId]));
  const find = (id: number): number => {
    let root = id;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(id, root);
    return root;
  };
  const tree = new BkTree();
  for (const photo of photos) {
    for (const near of tree.within(photo.hash, maxDistance)) {
      const [a, b] = [find(photo.photoId), find(near.photoId)];
      if (a !== b) parent.set(Math.max(a, b), Math.min(a, b));
    }
    tree.add(photo);
  }
  const stacks = new Map<number, number[]>();
  for (const photo of photos) {
    const root = find(photo.photoId);
    stacks.set(root, [...(stacks.get(root) ?? []), photo.photoId]);
  }
  return [...stacks.values()]
    .filter((ids) => ids.length > 1)
    .map((ids) => ids.sort((x, y) => x - y))
    .sort((x, y) => x[0]! - y[0]!);
}
