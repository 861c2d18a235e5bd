import { InvalidArgumentError, Option, type Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MANIFEST_FILE } from '../../../native-models/manifest.ts';
import { readManifest } from '../../engine/blip2/converted-model.ts';
import { Blip2Retrieval } from '../../engine/blip2/retrieval.ts';
import { encodeImages, loadPixelBatch } from '../../engine/blip2/vision-encoder.ts';
import { openLibraryDatabase, type LibraryDatabase } from '../../library/db/database.ts';
import { modelKey } from '../../library/models.ts';
import { defaultDatabasePath, resolveModelDir } from '../../library/paths.ts';
import {
  exportCsv,
  exportLibrary,
  libraryStatus,
  listErrors,
  listTags,
} from '../../library/queries/library-queries.ts';
import type { SearchFilters } from '../../library/search/filters.ts';
import { openSearchIndex } from '../../library/search/open-index.ts';
import { LibrarySearch, type SearchHit } from '../../library/search/search-service.ts';
import type { VectorIndex } from '../../library/vector/types.ts';
import { note, printJson } from '../output.ts';
import {
  addRuntimeFlags,
  reportProviders,
  runtimeOptions,
  type RuntimeFlags,
} from '../runtime-flags.ts';
import { nonNegativeInt, positiveInt } from '../arguments.ts';

interface ReadFlags {
  db?: string;
  json?: boolean;
}

interface ModelFlags extends ReadFlags, RuntimeFlags {
  searchModel?: string;
}

interface SearchFlags extends ModelFlags {
  limit: number;
  from?: string;
  to?: string;
  folder?: string;
  tag?: string;
  camera?: string;
  hasGps?: boolean;
  rerank?: number;
}

/** taken_at holds ISO 8601 local date-times; any prefix of one is a usable bound. */
function isoDate(value: string): string {
  if (!/^\d{4}(-\d{2}(-\d{2}([T ]\d{2}(:\d{2}(:\d{2})?)?)?)?)?$/.test(value)) {
    throw new InvalidArgumentError('expected an ISO date such as 2019, 2019-07 or 2019-07-14');
  }
  return value.replace(' ', 'T');
}

function addReadFlags(command: Command): Command {
  return command
    .option('--db <path>', `library database (default: ${defaultDatabasePath()})`)
    .option('--json', 'print JSON');
}

function addModelFlags(command: Command): Command {
  return addRuntimeFlags(
    addReadFlags(command).option(
      '--search-model <converted-dir>',
      'converted Blip2ForImageTextRetrieval folder (default: the one the library was indexed with)',
    ),
  );
}

/** Opens an existing library; read commands never create one. */
function openLibrary(flags: ReadFlags, readonly: boolean): LibraryDatabase {
  const path = resolve(flags.db ?? defaultDatabasePath());
  if (!existsSync(path)) {
    throw new Error(
      `no library at ${path}: index some photos first (sightline index <folder>) or pass --db <path>`,
    );
  }
  return openLibraryDatabase(path, { readonly });
}

function withLibrary<T>(flags: ReadFlags, readonly: boolean, work: (db: LibraryDatabase) => T): T {
  const db = openLibrary(flags, readonly);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function printRows(headers: string[], rows: string[][], empty: string): void {
  process.stdout.write(`${rows.length === 0 ? empty : formatTable(headers, rows)}\n`);
}

/**
 * The search model: --search-model, else the folder registered when the library was indexed,
 * else the default models folder (with download/convert instructions when it is missing).
 */
function searchModelDir(db: LibraryDatabase, flags: ModelFlags): string {
  if (flags.searchModel) return resolveModelDir('search', resolve(flags.searchModel));
  const registered = db
    .prepare<[], { dir: string }>(
      `SELECT dir FROM models WHERE role = 'search' ORDER BY registered_at DESC`,
    )
    .all()
    .find((m) => existsSync(join(m.dir, MANIFEST_FILE)));
  return registered?.dir ?? resolveModelDir('search');
}

/** The model key whose stored embeddings a library-only query (similar) should use. */
function storedModelKey(db: LibraryDatabase, flags: ModelFlags): string {
  if (flags.searchModel)
    return modelKey(readManifest(resolveModelDir('search', resolve(flags.searchModel))));
  const row = db
    .prepare<[], { key: string }>(
      `SELECT e.model_key AS key FROM embeddings e
       LEFT JOIN models m ON m.model_key = e.model_key
       WHERE e.kind = 'itc_image'
       GROUP BY e.model_key ORDER BY max(coalesce(m.registered_at, 0)) DESC, count(*) DESC
       LIMIT 1`,
    )
    .get();
  if (!row) throw new Error('no photo in this library has a search embedding yet; index it first');
  return row.key;
}

function openIndexFor(db: LibraryDatabase, key: string): VectorIndex {
  const opened = openSearchIndex(db, key);
  if (!opened) {
    const known = db
      .prepare<[], { key: string }>(
        `SELECT DISTINCT model_key AS key FROM embeddings WHERE kind = 'itc_image'`,
      )
      .all()
      .map((r) => r.key);
    throw new Error(
      known.length === 0
        ? 'no photo in this library has a search embedding yet; index it first'
        : `no photo is embedded with the search model ${key}; this library was indexed with ` +
            `${known.join(', ')}: pass that model with --search-model, or re-index`,
    );
  }
  note(`vector index: ${opened.engine} (${opened.reason})`);
  return opened.index;
}

function printHits(hits: SearchHit[], flags: ReadFlags): void {
  if (flags.json) {
    printJson(
      hits.map((h) => ({
        path: h.path,
        score: h.score,
        caption: h.caption,
        photo_id: h.photoId,
        itc: h.itc,
        ...(h.itm !== undefined ? { itm: h.itm } : {}),
        ...(h.text !== undefined ? { text: h.text } : {}),
      })),
    );
    return;
  }
  printRows(
    ['#', 'score', 'path', 'caption'],
    hits.map((h, i) => [String(i + 1), h.score.toFixed(4), h.path, h.caption]),
    'no matching photos',
  );
}

function searchFilters(flags: SearchFlags): SearchFilters {
  return {
    ...(flags.from ? { from: flags.from } : {}),
    ...(flags.to ? { to: flags.to } : {}),
    ...(flags.folder ? { folder: resolve(flags.folder) } : {}),
    ...(flags.tag ? { tag: flags.tag } : {}),
    ...(flags.camera ? { camera: flags.camera } : {}),
    ...(flags.hasGps ? { hasGps: true } : {}),
  };
}

async function runSearch(text: string, flags: SearchFlags): Promise<void> {
  const db = openLibrary(flags, false);
  let retrieval: Blip2Retrieval | undefined;
  let index: VectorIndex | undefined;
  try {
    retrieval = await Blip2Retrieval.load(searchModelDir(db, flags), runtimeOptions(flags));
    const key = modelKey(retrieval.model.manifest);
    index = openIndexFor(db, key);
    const search = new LibrarySearch(db, { retrieval, modelKey: key, vectorIndex: index });
    const hits = await search.search(text, {
      limit: flags.limit,
      filters: searchFilters(flags),
      ...(flags.rerank !== undefined
        ? { rerank: flags.rerank === 0 ? false : { k: flags.rerank } }
        : {}),
    });
    reportProviders(retrieval.model.providers);
    printHits(hits, flags);
  } finally {
    index?.close();
    await retrieval?.release();
    db.close();
  }
}

async function runSimilar(image: string, flags: ModelFlags & { limit: number }): Promise<void> {
  const path = resolve(image);
  const db = openLibrary(flags, false);
  let index: VectorIndex | undefined;
  try {
    const inLibrary = db
      .prepare<[string], { photoId: number }>(
        `SELECT f.photo_id AS photoId FROM files f JOIN embeddings e ON e.photo_id = f.photo_id
         WHERE f.path = ? AND e.kind = 'itc_image' LIMIT 1`,
      )
      .get(path);
    if (inLibrary) {
      const key = storedModelKey(db, flags);
      index = openIndexFor(db, key);
      const search = new LibrarySearch(db, { modelKey: key, vectorIndex: index });
      printHits(await search.similar(inLibrary.photoId, { limit: flags.limit }), flags);
      return;
    }
    if (!existsSync(path) || !statSync(path).isFile())
      throw new Error(`no such image file: ${path}`);
    const retrieval = await Blip2Retrieval.load(searchModelDir(db, flags), runtimeOptions(flags));
    try {
      const embeds = await encodeImages(
        retrieval.model,
        await loadPixelBatch(retrieval.model, [path]),
      );
      const feats = await retrieval.imageFeatures(embeds);
      const rows = feats.dims[1]!;
      const key = modelKey(retrieval.model.manifest);
      index = openIndexFor(db, key);
      const search = new LibrarySearch(db, { retrieval, modelKey: key, vectorIndex: index });
      const hits = await search.similarToFeatures(feats.data, rows, { limit: flags.limit });
      reportProviders(retrieval.model.providers);
      printHits(hits, flags);
    } finally {
      await retrieval.release();
    }
  } finally {
    index?.close();
    db.close();
  }
}

/** Read-side library commands: status, errors, tags, export, search, similar. */
export function registerLibraryReadCommands(program: Command): void {
  addReadFlags(
    program.command('status').description('how many photos and files the library holds'),
  ).action((flags: ReadFlags) => {
    const status = withLibrary(flags, true, libraryStatus);
    if (flags.json) printJson(status);
    else {
      printRows(
        ['photos', 'files', 'errors', 'pending'],
        [[status.photos, status.files, status.errors, status.pending].map(String)],
        '',
      );
    }
  });

  addReadFlags(
    program.command('errors').description('files that could not be indexed, and why'),
  ).action((flags: ReadFlags) => {
    const errors = withLibrary(flags, true, listErrors);
    if (flags.json) printJson(errors);
    else
      printRows(
        ['path', 'reason'],
        errors.map((e) => [e.path, e.reason]),
        'no errors',
      );
  });

  addReadFlags(program.command('tags').description('tags in the library, most used first')).action(
    (flags: ReadFlags) => {
      const tags = withLibrary(flags, true, listTags);
      if (flags.json) printJson(tags);
      else {
        printRows(
          ['tag', 'photos', 'sources'],
          tags.map((t) => [t.tag, String(t.count), t.sources.join(', ')]),
          'no tags',
        );
      }
    },
  );

  addReadFlags(
    program
      .command('export')
      .description('every photo with its paths, caption and tags (JSON or CSV on stdout)')
      .addOption(
        new Option('--format <format>', 'output format').choices(['json', 'csv']).default('json'),
      ),
  ).action((flags: ReadFlags & { format: 'json' | 'csv' }) => {
    const photos = withLibrary(flags, true, exportLibrary);
    if (flags.format === 'csv') process.stdout.write(exportCsv(photos));
    else printJson(photos);
  });

  addModelFlags(
    program
      .command('search')
      .description('find photos by a description, best first')
      .argument('<text>', 'what to look for, e.g. "a dog on a beach at sunset"')
      .option('--limit <n>', 'at most this many results', positiveInt, 20)
      .option('--from <date>', 'taken on or after (ISO date: 2019, 2019-07, 2019-07-14)', isoDate)
      .option('--to <date>', 'taken on or before (inclusive at the precision given)', isoDate)
      .option('--folder <path>', 'only photos with a file in this folder or below')
      .option('--tag <tag>', 'only photos with this tag')
      .option('--camera <text>', 'only photos whose camera make or model contains this')
      .option('--has-gps', 'only photos with a GPS position')
      .option(
        '--rerank <k>',
        're-rank the top k with BLIP-2 ITM (0 = off; default 16 on a GPU, off on CPU)',
        nonNegativeInt,
      ),
  ).action(async (text: string, flags: SearchFlags) => {
    await runSearch(text, flags);
  });

  addModelFlags(
    program
      .command('similar')
      .description('photos that look like an image (a library photo, or any image file)')
      .argument('<image>', 'image file')
      .option('--limit <n>', 'at most this many results', positiveInt, 20),
  ).action(async (image: string, flags: ModelFlags & { limit: number }) => {
    await runSimilar(image, flags);
  });
}
