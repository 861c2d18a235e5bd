/**
 * `npm run bench:index`: indexing throughput on the test photos replicated to ~1000 files with the
 * tiny BLIP-2 fixture (so the figures show the pipeline's own cost — decode, database, batching —
 * rather than ViT-g's). Runs the default batch size and batch size 1 in the same process and
 * prints photos/s with the decode / model / database split and the ratio between the two.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { convertCheckpoint } from '../../native-models/builder/convert.ts';
import { Blip2Captioner } from '../../src-main/engine/blip2/captioner.ts';
import { Blip2Retrieval } from '../../src-main/engine/blip2/retrieval.ts';
import { openLibraryDatabase } from '../../src-main/library/db/database.ts';
import { Indexer, type IndexReport } from '../../src-main/library/indexer/indexer.ts';
import { VectorIndexSync } from '../../src-main/library/indexer/vector-sync.ts';
import { DecodePool } from '../../src-main/library/media/decode-pool.ts';
import { buildBenchLibrary } from './index-library.ts';

const repo = join(import.meta.dirname, '..', '..');
const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '1000' },
    'batch-sizes': { type: 'string', default: '8,1' },
    workers: { type: 'string', default: String(Math.max(1, availableParallelism() - 1)) },
    photos: { type: 'string', default: join(repo, 'test', 'fixtures', 'photos', 'library') },
  },
});

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'sightline-bench-index-'));
  try {
    const count = buildBenchLibrary(values.photos, join(work, 'library'), Number(values.files));
    const fixtures = join(repo, 'test', 'fixtures', 'blip2-tiny');
    const opt = convertCheckpoint(join(fixtures, 'opt'), join(work, 'opt')).outDir;
    const itm = convertCheckpoint(join(fixtures, 'itm'), join(work, 'itm')).outDir;
    const runtime = { providers: ['cpu'] as const, intraOpThreads: 1 };
    const [captioner, retrieval] = await Promise.all([
      Blip2Captioner.load(opt, runtime),
      Blip2Retrieval.load(itm, runtime),
    ]);
    const pool = new DecodePool({ size: Number(values.workers) });
    const rows: { batch: number; report: IndexReport; syncMs: number }[] = [];
    process.stderr.write(
      `library: ${count} files, ${pool.size} decode worker(s), tiny BLIP-2 on CPU\n`,
    );
    for (const batch of values['batch-sizes'].split(',').map(Number)) {
      const db = openLibraryDatabase(join(work, `library-${batch}.db`));
      const indexer = new Indexer({
        db,
        captioner,
        retrieval,
        pool,
        thumbnailDir: join(work, `thumbnails-${batch}`),
        batchSize: batch,
        onProgress: (p) => {
          if (p.phase === 'indexing' && p.done % 100 < batch)
            process.stderr.write(`  batch ${batch}: ${p.done}/${p.total}\r`);
        },
      });
      const report = await indexer.run([{ path: join(work, 'library') }]);
      const syncStart = Date.now();
      const vectors = new VectorIndexSync(db, retrieval);
      vectors.flush();
      vectors.close();
      rows.push({ batch, report, syncMs: Date.now() - syncStart });
      db.close();
      process.stderr.write('\n');
    }
    await pool.close();
    await Promise.all([captioner.release(), retrieval.release()]);
    printTable(rows);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function printTable(rows: { batch: number; report: IndexReport; syncMs: number }[]): void {
  const base = rows[0]!;
  const rate = (r: IndexReport): number => r.processed / r.seconds;
  console.log(
    '| batch | files | analysed | errors | seconds | files/s | vs first row | decode wait s | model s | database s | vector sync s |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const { batch, report: r, syncMs } of rows) {
    console.log(
      `| ${batch} | ${r.processed} | ${r.analysed} | ${r.errors} | ${r.seconds.toFixed(1)} | ${rate(r).toFixed(1)} | ${(rate(r) / rate(base.report)).toFixed(2)} | ` +
        `${(r.timings.decodeMs / 1000).toFixed(1)} | ${(r.timings.modelMs / 1000).toFixed(1)} | ${(r.timings.databaseMs / 1000).toFixed(1)} | ${(syncMs / 1000).toFixed(2)} |`,
    );
  }
  console.log(
    'decode wait = time the pipeline waited for decoded batches (decoding overlaps the model), model = vision + captions + ITC + tags',
  );
}

await main();
