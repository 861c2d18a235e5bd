import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IndexReport } from '../../../../src-main/library/indexer/indexer.ts';
import { SidecarWriter } from '../../../../src-main/library/indexer/sidecar-writer.ts';
import { VectorIndexSync } from '../../../../src-main/library/indexer/vector-sync.ts';
import { createLibraryKit, listFiles, type LibraryKit } from './library-test-kit.ts';

interface FileRow {
  path: string;
  status: string;
  photo_id: number | null;
}

describe('Indexer on the test photo library (tiny BLIP-2)', () => {
  let kit: LibraryKit;
  let first: IndexReport;
  let originalHashes: Map<string, string>;
  const rel = (path: string): string => path.slice(kit.photos.length + 1);

  beforeAll(async () => {
    kit = await createLibraryKit();
    originalHashes = new Map(listFiles(kit.photos).map((f) => [f, sha256(join(kit.photos, f))]));
    const sidecars = new SidecarWriter(kit.db, (p) => {
      throw new Error(`sidecar failed for ${p.path}: ${p.reason}`);
    });
    const vectors = new VectorIndexSync(kit.db, kit.retrieval);
    first = await kit
      .indexer({ onBatchCommitted: (ids) => sidecars.write(ids) })
      .run([{ path: kit.photos }]);
    vectors.flush();
    vectors.close();
  }, 300_000);
  afterAll(async () => kit.close());

  const files = (): FileRow[] =>
    kit.db.prepare<[], FileRow>('SELECT path, status, photo_id FROM files ORDER BY path').all();

  it('indexes every good photo with a caption, tags and an embedding', () => {
    const good = files().filter((f) => rel(f.path).startsWith('library/'));
    expect(good.length).toBe(
      listFiles(join(kit.photos, 'library')).filter((f) => !f.endsWith('.xmp')).length,
    );
    for (const f of good) {
      expect(f.status, f.path).toBe('indexed');
      const caption = kit.db
        .prepare<[number], { n: number }>(
          "SELECT count(*) n FROM captions WHERE photo_id = ? AND source = 'model'",
        )
        .get(f.photo_id!);
      const tags = kit.db
        .prepare<[number], { n: number }>(
          "SELECT count(*) n FROM tags WHERE photo_id = ? AND source = 'zero-shot'",
        )
        .get(f.photo_id!);
      const embedding = kit.db
        .prepare<[number], { rows: number; cols: number; bytes: number }>(
          'SELECT rows, cols, length(vectors) bytes FROM embeddings WHERE photo_id = ?',
        )
        .get(f.photo_id!);
      expect(caption?.n, f.path).toBe(1);
      expect(tags?.n, f.path).toBeGreaterThan(0);
      expect(embedding && embedding.bytes === embedding.rows * embedding.cols * 2, f.path).toBe(
        true,
      );
    }
    expect(first.analysed + first.linked).toBe(good.length);
  });

  it('records every bad file as an error with a reason, without stopping', () => {
    const bad = files().filter((f) => rel(f.path).startsWith('bad/'));
    expect(bad.map((f) => rel(f.path))).toEqual(
      listFiles(join(kit.photos, 'bad')).map((f) => `bad/${f}`),
    );
    for (const f of bad) expect(f.status, f.path).toBe('error');
    const reasons = kit.db
      .prepare<[], { path: string; reason: string }>(
        'SELECT f.path, e.reason FROM file_errors e JOIN files f ON f.id = e.file_id',
      )
      .all();
    expect(reasons.length).toBe(bad.length);
    for (const r of reasons) expect(r.reason.length, r.path).toBeGreaterThan(10);
    expect(reasons.find((r) => r.path.endsWith('pixel-bomb.png'))?.reason).toMatch(/pixels/);
    expect(first.errors).toBe(bad.length);
  });

  it('stores the EXIF-rotated photo upright with its date, GPS, camera and keywords', () => {
    const photo = (name: string) =>
      kit.db
        .prepare<[string], Record<string, unknown>>(
          'SELECT p.* FROM photos p JOIN files f ON f.photo_id = p.id WHERE f.path LIKE ?',
        )
        .get(`%/${name}`)!;
    const rotated = photo('building-rotated.jpg');
    const plain = photo('building.jpg');
    expect([rotated.width, rotated.height]).toEqual([plain.height, plain.width]);
    expect(rotated.taken_at).toBe('2019-07-14T16:32:05');
    expect(rotated.gps_latitude).toBeCloseTo(48.8584, 3);
    expect(rotated.gps_longitude).toBeCloseTo(2.2945, 3);
    expect(rotated.camera_model).toMatch(/EOS 80D/);
    expect(JSON.parse(rotated.keywords as string)).toEqual(
      expect.arrayContaining(['architecture', 'city']),
    );
    expect(rotated.description).toBe('old stone building');
  });

  it('decodes HEIC and AVIF', () => {
    for (const name of ['astronaut.heic', 'coffee.avif']) {
      expect(files().find((f) => f.path.endsWith(name))?.status, name).toBe('indexed');
    }
  });

  it('keeps the vector index equal to the embeddings', () => {
    const embeddings = kit.db.prepare<[], { n: number }>('SELECT count(*) n FROM embeddings').get()!
      .n;
    const vectors = new VectorIndexSync(kit.db, kit.retrieval);
    vectors.flush();
    expect(vectors.describe()).toMatch(/sqlite-vss|sqlite-vec|exact/);
    vectors.close();
    expect(embeddings).toBe(
      kit.db.prepare<[], { n: number }>('SELECT count(DISTINCT photo_id) n FROM embeddings').get()!
        .n,
    );
  });

  it('leaves the originals byte-identical, with XMP sidecars written beside them', () => {
    for (const [file, hash] of originalHashes)
      expect(sha256(join(kit.photos, file)), file).toBe(hash);
    expect(existsSync(join(kit.photos, 'library/pets/chelsea.png.xmp'))).toBe(true);
    expect(readFileSync(join(kit.photos, 'library/pets/chelsea.png.xmp'), 'utf8')).toMatch(
      /dc:description/,
    );
  });

  it('a re-run with nothing changed runs no model', async () => {
    const again = await kit.indexer().run([{ path: kit.photos }]);
    expect(again.analysed).toBe(0);
    expect(again.processed).toBe(0);
    expect(again.added + again.changed + again.missing).toBe(0);
  });

  it('moved and renamed files reuse their results without running the model', async () => {
    const photosBefore = kit.db.prepare<[], { n: number }>('SELECT count(*) n FROM photos').get()!
      .n;
    mkdirSync(join(kit.photos, 'library/moved'), { recursive: true });
    renameSync(
      join(kit.photos, 'library/pets/chelsea.png'),
      join(kit.photos, 'library/moved/cat.png'),
    );
    renameSync(
      join(kit.photos, 'library/misc/rocket.jpg'),
      join(kit.photos, 'library/misc/launch.jpg'),
    );
    const report = await kit.indexer().run([{ path: kit.photos }]);
    expect(report.analysed).toBe(0);
    expect(report.linked).toBe(2);
    expect(report.missing).toBe(2);
    expect(kit.db.prepare<[], { n: number }>('SELECT count(*) n FROM photos').get()!.n).toBe(
      photosBefore,
    );
    const moved = files().find((f) => f.path.endsWith('moved/cat.png'))!;
    expect(moved.status).toBe('indexed');
    expect(files().find((f) => f.path.endsWith('pets/chelsea.png'))?.status).toBe('missing');
  });
});

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
