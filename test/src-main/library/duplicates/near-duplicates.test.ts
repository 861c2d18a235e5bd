// Measures the near-duplicate rule on labelled pairs built from the test photos: the fixture's
// own format twins (PNG/WebP, PNG/HEIC, PNG/AVIF, JPEG/TIFF) plus resized and recompressed
// copies made here. Every pair of different pictures is a negative. The hash is taken the way
// the app takes it: decode like the indexer, write the thumbnail, hash the thumbnail.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NEAR_DUPLICATE_MAX_DISTANCE } from '../../../../src-main/library/duplicates/stacks.ts';
import {
  differenceHash,
  hammingDistance,
} from '../../../../src-main/library/duplicates/perceptual-hash.ts';
import { decodePhoto } from '../../../../src-main/library/media/decode.ts';
import { writeThumbnail } from '../../../../src-main/library/media/thumbnail.ts';

const LIBRARY = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'photos', 'library');

/** One distinct picture per entry: its original and the fixture's copies in other formats. */
const PICTURES: { original: string; twins: string[] }[] = [
  { original: 'pets/chelsea.png', twins: ['pets/chelsea.webp'] },
  { original: 'misc/astronaut.png', twins: ['misc/astronaut.heic'] },
  { original: 'misc/coffee.png', twins: ['misc/coffee.avif'] },
  { original: 'misc/fruits.jpg', twins: ['misc/fruits.tiff'] },
  { original: 'misc/rocket.jpg', twins: [] },
  { original: 'misc/basketball-gray.png', twins: [] },
  { original: 'misc/one-pixel.png', twins: [] },
  { original: '2019/holiday/baboon.jpg', twins: [] },
  { original: '2019/holiday/building.jpg', twins: [] },
  { original: '2019/holiday/butterfly.jpg', twins: [] },
  { original: '2019/holiday/football match ⚽.jpg', twins: [] },
  { original: '2019/holiday/motorcycle.png', twins: [] },
];

/** Copies people keep: a half-size JPEG, a quarter-size WebP, a heavily compressed JPEG. */
const VARIANTS = [
  {
    name: 'half.jpg',
    make: (s: Sharp, w: number) => s.resize(Math.round(w / 2)).jpeg({ quality: 75 }),
  },
  {
    name: 'quarter.webp',
    make: (s: Sharp, w: number) => s.resize(Math.round(w / 4)).webp({ quality: 60 }),
  },
  { name: 'q30.jpg', make: (s: Sharp) => s.jpeg({ quality: 30 }) },
];

interface Hashed {
  picture: number;
  label: string;
  hash: bigint;
}

interface Pair {
  same: boolean;
  distance: number;
  labels: [string, string];
}

let work: string;
const hashed: Hashed[] = [];
let pairs: Pair[] = [];

async function hashAsTheAppDoes(path: string, key: string): Promise<bigint> {
  const image = await decodePhoto(path);
  return differenceHash(await writeThumbnail(image, join(work, 'thumbs'), key));
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sightline-near-dup-'));
  let key = 0;
  for (const [picture, entry] of PICTURES.entries()) {
    const original = join(LIBRARY, entry.original);
    const files = [entry.original, ...entry.twins].map((f) => ({
      label: f,
      path: join(LIBRARY, f),
    }));
    const decoded = await decodePhoto(original);
    if (decoded.width >= 16) {
      for (const variant of VARIANTS) {
        const path = join(work, `${picture}-${variant.name}`);
        const source = sharp(decoded.data, {
          raw: { width: decoded.width, height: decoded.height, channels: 3 },
        });
        await variant.make(source, decoded.width).toFile(path);
        files.push({ label: `${entry.original} → ${variant.name}`, path });
      }
    }
    for (const file of files) {
      hashed.push({
        picture,
        label: file.label,
        hash: await hashAsTheAppDoes(file.path, `k${key++}`),
      });
    }
  }
  pairs = hashed.flatMap((a, i) =>
    hashed.slice(i + 1).map((b) => ({
      same: a.picture === b.picture,
      distance: hammingDistance(a.hash, b.hash),
      labels: [a.label, b.label] as [string, string],
    })),
  );
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function scoreAt(threshold: number): {
  precision: number;
  recall: number;
  tp: number;
  fp: number;
  fn: number;
} {
  const tp = pairs.filter((p) => p.same && p.distance <= threshold).length;
  const fp = pairs.filter((p) => !p.same && p.distance <= threshold).length;
  const fn = pairs.filter((p) => p.same && p.distance > threshold).length;
  return { precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp / (tp + fn), tp, fp, fn };
}

describe('near-duplicate rule (dHash of thumbnails) on labelled pairs', () => {
  it('separates copies of one picture from different pictures', () => {
    const positives = pairs.filter((p) => p.same);
    const negatives = pairs.filter((p) => !p.same);
    const table = [0, 2, 4, 6, 8, 10, 12, 14, 16, 20].map((t) => ({ threshold: t, ...scoreAt(t) }));
    console.log(
      `near-duplicate pairs: ${positives.length} positive, ${negatives.length} negative; ` +
        `positive distances max ${Math.max(...positives.map((p) => p.distance))}, ` +
        `negative distances min ${Math.min(...negatives.map((p) => p.distance))}\n` +
        table
          .map(
            (r) =>
              `  ≤${r.threshold}: precision ${r.precision.toFixed(3)} recall ${r.recall.toFixed(3)} (tp ${r.tp}, fp ${r.fp}, fn ${r.fn})`,
          )
          .join('\n'),
    );
    const closestNegatives = [...negatives].sort((a, b) => a.distance - b.distance).slice(0, 3);
    console.log(
      'closest different pictures:',
      closestNegatives.map((p) => `${p.distance}: ${p.labels.join(' / ')}`),
    );
    const chosen = scoreAt(NEAR_DUPLICATE_MAX_DISTANCE);
    expect(positives.length).toBeGreaterThan(40);
    expect(chosen.precision).toBe(1);
    expect(chosen.recall).toBeGreaterThanOrEqual(0.95);
  });
});
