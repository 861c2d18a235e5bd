import { existsSync, linkSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../../native-models/manifest.ts';

type ManifestReader = (dir: string) => Manifest | null;

/**
 * The caption and the search model carry the same ViT-g (equal `visionFingerprint`: the same bytes
 * in the same format). Hard-links `modelDir`'s vision weights to another model's copy in
 * `modelsDir`, so the disk holds them once (~1 GB at int8, ~4 GB at fp32). Removing either folder
 * leaves the other's file intact; a later conversion writes a new file rather than into the
 * shared one (the data writer replaces, never truncates). Returns the folder linked to, or null.
 */
export function shareVisionWeights(
  modelsDir: string,
  modelDir: string,
  readManifest: ManifestReader,
): string | null {
  const manifest = readManifest(modelDir);
  const graph = manifest?.graphs.vision;
  if (!manifest || !graph) return null;
  const mine = join(modelDir, graph.dataFile);
  if (!existsSync(mine)) return null;
  for (const name of readdirSync(modelsDir)) {
    const other = join(modelsDir, name);
    if (other === modelDir) continue;
    const theirs = readManifest(other);
    const theirGraph = theirs?.graphs.vision;
    if (!theirs || !theirGraph || theirs.visionFingerprint !== manifest.visionFingerprint) continue;
    const source = join(other, theirGraph.dataFile);
    if (!existsSync(source)) continue;
    const [a, b] = [statSync(mine), statSync(source)];
    if (a.ino === b.ino && a.dev === b.dev) return other;
    if (a.size !== b.size || a.dev !== b.dev) continue;
    // Link beside, then rename over: the folder never lacks its vision weights.
    const staged = `${mine}.link`;
    rmSync(staged, { force: true });
    try {
      linkSync(source, staged);
      renameSync(staged, mine);
    } catch {
      rmSync(staged, { force: true });
      return null; // a file system without hard links: keep the two copies
    }
    return other;
  }
  return null;
}
