// What one thumbnail cell shows; both library pages and search hits map onto it.
import type { PhotoHit, PhotoSummary } from '../../src-main/shared/contract.ts';

export interface GridItem {
  photoId: number;
  path: string;
  thumbnailUrl: string;
  caption: string;
  /** Search relevance; null when browsing. */
  score: number | null;
}

export function fromSummary(photo: PhotoSummary): GridItem {
  return { ...photo, score: null };
}

export function fromHit(hit: PhotoHit): GridItem {
  return { ...hit };
}
