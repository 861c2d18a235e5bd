import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  FILE_PURPOSES,
  approxAtPrecision,
  MODEL_CATALOG,
  catalogEntrySchema,
  findCatalogEntry,
  modelSourceFor,
  selectRepoFiles,
} from '../../native-models/catalog.ts';
import { CAPTION_MODEL_NAME, SEARCH_MODEL_NAME } from '../../src-main/library/paths.ts';

/** File lists as the Hub shows them for BLIP-2 repos (both weight formats present). */
const SHARDED_OPT_REPO = [
  '.gitattributes',
  'README.md',
  'added_tokens.json',
  'config.json',
  'generation_config.json',
  'merges.txt',
  'model-00001-of-00002.safetensors',
  'model-00002-of-00002.safetensors',
  'model.safetensors.index.json',
  'preprocessor_config.json',
  'processor_config.json',
  'pytorch_model-00001-of-00002.bin',
  'pytorch_model-00002-of-00002.bin',
  'pytorch_model.bin.index.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'vocab.json',
];

describe('model catalog', () => {
  it('validates against its schema', () => {
    expect(() => z.array(catalogEntrySchema).parse(MODEL_CATALOG)).not.toThrow();
    expect(new Set(MODEL_CATALOG.map((e) => e.name)).size).toBe(MODEL_CATALOG.length);
  });

  it('never passes off a branch as a pinned commit', () => {
    const base = MODEL_CATALOG[0]!;
    expect(catalogEntrySchema.safeParse({ ...base, revisionPinned: true }).success).toBe(false);
    expect(
      catalogEntrySchema.safeParse({ ...base, revision: 'a'.repeat(40), revisionPinned: true })
        .success,
    ).toBe(true);
    for (const entry of MODEL_CATALOG) {
      expect(entry.revisionPinned ? /^[0-9a-f]{40}$/.test(entry.revision) : entry.revision).toBe(
        entry.revisionPinned ? true : 'main',
      );
    }
  });

  it('has one default model per role, named like the app data folder expects', () => {
    const defaults = MODEL_CATALOG.filter((e) => e.isDefault);
    expect(defaults.map((e) => [e.role, e.name]).sort()).toEqual([
      ['caption', CAPTION_MODEL_NAME],
      ['search', SEARCH_MODEL_NAME],
    ]);
    expect(findCatalogEntry('Salesforce/blip2-opt-2.7b')?.capabilities).toEqual([
      'caption',
      'question-answering',
    ]);
    expect(findCatalogEntry('blip2-itm-vit-g')?.architecture).toBe('Blip2ForImageTextRetrieval');
    expect(findCatalogEntry('blip2-opt-2.7b-coco')?.role).toBe('caption');
  });

  it('approximate memory follows ~4 bytes per parameter (float32)', () => {
    for (const entry of MODEL_CATALOG) {
      const perParam = entry.approx.memoryBytes / entry.approx.parameters;
      expect(perParam).toBeGreaterThan(3.5);
      expect(perParam).toBeLessThan(4.5);
    }
  });

  it('sizes each precision from the module parameter split', () => {
    const opt = findCatalogEntry('blip2-opt-2.7b')!;
    const itm = findCatalogEntry('blip2-itm-vit-g')!;
    expect(approxAtPrecision(opt, 'fp32').convertedBytes).toBe(opt.approx.convertedBytes);
    expect(approxAtPrecision(opt, 'fp16').convertedBytes).toBe(opt.approx.convertedBytes / 2);
    // int4: ViT in 8-bit blocks of 128 (1 + 5/128 B/param), Q-Former fp32, OPT in 4-bit blocks
    // of 32 (0.5 + 4.5/32 B/param): (0.99·1.0390625 + 0.11·4 + 2.77·0.640625) / (3.87·4).
    const int4 = approxAtPrecision(opt, 'int4').convertedBytes / opt.approx.convertedBytes;
    expect(int4).toBeCloseTo((0.99 * 1.0390625 + 0.44 + 2.77 * 0.640625) / (3.87 * 4), 6);
    // The search model has no language model: int4 and int8 are the same size.
    expect(approxAtPrecision(itm, 'int4')).toEqual(approxAtPrecision(itm, 'int8'));
  });

  it('selects safetensors shards, the index and the companion files, never .bin or README', () => {
    const files = selectRepoFiles(findCatalogEntry('blip2-opt-2.7b')!, SHARDED_OPT_REPO);
    expect(files.sort()).toEqual(
      [
        'added_tokens.json',
        'config.json',
        'generation_config.json',
        'merges.txt',
        'model-00001-of-00002.safetensors',
        'model-00002-of-00002.safetensors',
        'model.safetensors.index.json',
        'preprocessor_config.json',
        'processor_config.json',
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'vocab.json',
      ].sort(),
    );
    for (const file of files) {
      const key = /^model-\d+-of-\d+\.safetensors$/.test(file) ? 'model-*-of-*.safetensors' : file;
      expect(FILE_PURPOSES[key], `purpose of ${file}`).toBeTruthy();
    }
  });

  it('selects the single-file weights and the WordPiece vocab for the ITM model', () => {
    const repo = [
      'config.json',
      'model.safetensors',
      'preprocessor_config.json',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.txt',
    ];
    expect(selectRepoFiles(findCatalogEntry('blip2-itm-vit-g')!, repo).sort()).toEqual(repo);
  });

  it('explains repos it cannot use', () => {
    const entry = findCatalogEntry('blip2-opt-2.7b')!;
    const binOnly = SHARDED_OPT_REPO.filter((f) => !f.includes('safetensors'));
    expect(() => selectRepoFiles(entry, binOnly)).toThrow(/only PyTorch \.bin files/);
    expect(() => selectRepoFiles(entry, ['model.safetensors'])).toThrow(/has no config\.json/);
  });

  it('turns other repo ids into ad-hoc sources and rejects nonsense', () => {
    const source = modelSourceFor('someone/blip2-opt-6.7b', 'refs/pr/1');
    expect(source).toMatchObject({ name: 'blip2-opt-6.7b', revision: 'refs/pr/1' });
    expect(modelSourceFor('blip2-opt-2.7b', 'abc').revision).toBe('abc');
    expect(() => modelSourceFor('no-such-model')).toThrow(/unknown model "no-such-model"/);
  });
});
