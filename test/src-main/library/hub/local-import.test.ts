import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findCatalogEntry, modelSourceFor } from '../../../../native-models/catalog.ts';
import { importLocalCheckpoint } from '../../../../src-main/library/hub/local-import.ts';
import { FIXTURE_DIR } from '../../../support/golden.ts';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'sightline-import-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('importLocalCheckpoint', () => {
  it('accepts a complete checkpoint folder and lists the files it will use', () => {
    const caption = findCatalogEntry('blip2-opt-2.7b')!;
    const imported = importLocalCheckpoint(join(FIXTURE_DIR, 'opt'), caption);
    expect(imported.files).toContain('model.safetensors');
    expect(imported.files).toContain('generation_config.json');
    expect(imported.sizes.get('model.safetensors')).toBeGreaterThan(0);
  });

  it('rejects a checkpoint of the other architecture', () => {
    const search = findCatalogEntry('blip2-itm-vit-g')!;
    expect(() => importLocalCheckpoint(join(FIXTURE_DIR, 'opt'), search)).toThrow(
      /describes Blip2ForConditionalGeneration, expected Blip2ForImageTextRetrieval/,
    );
  });

  it('names missing files and missing shards', () => {
    const dir = join(work, 'ckpt');
    cpSync(join(FIXTURE_DIR, 'itm'), dir, { recursive: true });
    rmSync(join(dir, 'tokenizer.json'));
    const source = modelSourceFor('someone/blip2-itm');
    expect(() => importLocalCheckpoint(dir, source)).toThrow(/has no tokenizer\.json/);

    cpSync(join(FIXTURE_DIR, 'itm', 'tokenizer.json'), join(dir, 'tokenizer.json'));
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({
        weight_map: {
          a: 'model-00001-of-00002.safetensors',
          b: 'model-00002-of-00002.safetensors',
        },
      }),
    );
    expect(() => importLocalCheckpoint(dir, source)).toThrow(
      /missing weight shards model-00001-of-00002\.safetensors, model-00002-of-00002\.safetensors/,
    );
    expect(() => importLocalCheckpoint(join(work, 'nope'), source)).toThrow(/no such folder/);
  });
});
