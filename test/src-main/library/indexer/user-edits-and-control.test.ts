import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Indexer } from '../../../../src-main/library/indexer/indexer.ts';
import {
  BatchInference,
  DEFAULT_INFERENCE_OPTIONS,
} from '../../../../src-main/library/indexer/inference.ts';
import { LibraryWriter } from '../../../../src-main/library/indexer/library-writer.ts';
import { PauseGate } from '../../../../src-main/library/indexer/pause-gate.ts';
import { createLibraryKit, PHOTOS_FIXTURE, type LibraryKit } from './library-test-kit.ts';

describe('indexer control and user edits', () => {
  let kit: LibraryKit;
  beforeAll(async () => {
    kit = await createLibraryKit();
  }, 120_000);
  afterAll(async () => kit.close());

  it('user captions and tags win and survive re-analysis by a new model', async () => {
    const small = join(kit.root, 'small');
    mkdirSync(small);
    cpSync(join(PHOTOS_FIXTURE, 'library', 'pets'), small, { recursive: true });
    await kit.indexer().run([{ path: small }]);
    const photoId = kit.db
      .prepare<[], { id: number }>('SELECT id FROM photos ORDER BY id LIMIT 1')
      .get()!.id;
    kit.db
      .prepare(
        "INSERT INTO captions (photo_id, text, source, model_key, created_at) VALUES (?, 'my cat Chelsea', 'user', '', ?)",
      )
      .run(photoId, Date.now());
    kit.db
      .prepare("INSERT INTO tags (photo_id, tag, source) VALUES (?, 'chelsea', 'user')")
      .run(photoId);
    const writer = new LibraryWriter(kit.db);
    writer.refreshPhotoText(photoId);
    // A model change makes every photo incomplete again: they are re-analysed.
    kit.db.prepare("UPDATE captions SET model_key = 'old-model' WHERE source = 'model'").run();
    const report = await kit.indexer().run([{ path: small }]);
    expect(report.analysed).toBeGreaterThan(0);
    const user = kit.db
      .prepare<[number], { text: string }>(
        "SELECT text FROM captions WHERE photo_id = ? AND source = 'user'",
      )
      .get(photoId);
    expect(user?.text).toBe('my cat Chelsea');
    expect(
      kit.db
        .prepare<[number], { n: number }>(
          "SELECT count(*) n FROM tags WHERE photo_id = ? AND source = 'user'",
        )
        .get(photoId)?.n,
    ).toBe(1);
    const text = kit.db
      .prepare<[], { rowid: number }>(
        "SELECT rowid FROM photo_text WHERE photo_text MATCH 'chelsea'",
      )
      .all();
    expect(text.map((r) => r.rowid)).toContain(photoId);
  });

  it('cancel stops after the batch in flight, and the next run finishes the rest', async () => {
    const folder = join(kit.root, 'cancel');
    mkdirSync(folder);
    cpSync(join(PHOTOS_FIXTURE, 'library', '2019'), folder, { recursive: true });
    let batches = 0;
    const indexer: Indexer = kit.indexer({
      batchSize: 1,
      onBatchCommitted: () => {
        if (++batches === 2) indexer.cancel();
      },
    });
    const first = await indexer.run([{ path: folder }]);
    expect(first.state).toBe('cancelled');
    expect(first.processed).toBe(2);
    const second = await kit.indexer({ batchSize: 1 }).run([{ path: folder }]);
    expect(second.state).toBe('done');
    expect(second.processed).toBe(first.scanned - 2);
    expect(
      kit.db.prepare<[], { state: string }>('SELECT state FROM jobs ORDER BY id DESC LIMIT 1').get()
        ?.state,
    ).toBe('done');
  });

  it('pause blocks the loop until resume; cancel releases a paused loop', async () => {
    const gate = new PauseGate();
    gate.pause();
    let passed = false;
    const waiting = gate.wait().then((go) => (passed = go));
    await new Promise((resolve) => setImmediate(resolve));
    expect(passed).toBe(false);
    gate.resume();
    await waiting;
    expect(passed).toBe(true);
    gate.pause();
    const cancelled = gate.wait();
    gate.cancel();
    expect(await cancelled).toBe(false);
  });

  it('CapFilt keeps the candidate ITM scores highest and stores that score', async () => {
    const inference = new BatchInference(kit.captioner, kit.retrieval, {
      ...DEFAULT_INFERENCE_OPTIONS,
      caption: { maxNewTokens: 5, numBeams: 2 },
      capfiltSamples: 3,
    });
    const size = kit.captioner.model.manifest.imageSize;
    const pixels = new Float32Array(3 * size * size).fill(0.25);
    const [result] = await inference.run([pixels], [true]);
    expect(result!.captionScore).not.toBeNull();
    expect(result!.captionScore!).toBeGreaterThanOrEqual(0);
    expect(result!.captionScore!).toBeLessThanOrEqual(1);
  });
});
