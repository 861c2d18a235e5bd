// What one thumbnail cell shows; both library pages and search hits map onto it.
import type { PhotoHit, PhotoSummary } from '../../src-main/shared/contract.ts';

export interface GridItem {
  photoId: number;
  path: string;
  thumbnailUrl: string;
  caption: string;
  /** Search relevance; null when browsing. */
  score: number | null;
  /** Copies of this picture the cell stands for (1: no duplicates). */
  stackSize: number;
}

export function fromSummary(photo: PhotoSummary): GridItem {
  return { ...photo, score: null, stackSize: photo.stackSize ?? 1 };
}

export function fromHit(hit: PhotoHit): GridItem {
  return { ...hit, stackSize: hit.stackSize ?? 1 };
}
