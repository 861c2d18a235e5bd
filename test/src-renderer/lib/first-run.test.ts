import { describe, expect, it } from 'vitest';
import type { LibraryRoot, ModelEntry, ModelStatus } from '../../../src-main/shared/contract.ts';
import {
  defaultModelsToSetUp,
  firstRunStep,
  modelsReady,
  needsFirstRun,
} from '../../../src-renderer/lib/first-run.ts';

const root: LibraryRoot = { rootId: 1, path: '/photos', files: 0, addedAt: 0 };

function entry(name: string, overrides: Partial<ModelEntry> = {}): ModelEntry {
  return {
    name,
    repoId: `org/${name}`,
    role: 'caption',
    isDefault: true,
    purpose: null,
    state: 'missing',
    approxDownloadBytes: null,
    approxMemoryBytes: null,
    convertedBytes: 0,
    downloadBytes: 0,
    setup: 'idle',
    setupError: null,
    ...overrides,
  };
}

function status(
  captionReady: boolean,
  searchReady: boolean,
  models: ModelEntry[] = [],
): ModelStatus {
  const role = (ready: boolean) => ({
    dir: '/models/x',
    ready,
    loaded: false,
    preferredProviders: ['cpu'],
    providers: [],
    providerNote: null,
    weightBytes: 0,
  });
  return { models, caption: role(captionReady), search: role(searchReady) };
}

describe('modelsReady / needsFirstRun', () => {
  it('needs both roles ready', () => {
    expect(modelsReady(status(true, true))).toBe(true);
    expect(modelsReady(status(true, false))).toBe(false);
    expect(modelsReady(status(false, true))).toBe(false);
  });

  it('lets a returning user (folders and models) skip the first run', () => {
    expect(needsFirstRun([root], status(true, true))).toBe(false);
    expect(needsFirstRun([], status(true, true))).toBe(true);
    expect(needsFirstRun([root], status(false, true))).toBe(true);
  });
});

describe('firstRunStep', () => {
  it('stays on folders until one is added and the user goes on', () => {
    expect(firstRunStep([], status(false, false), true)).toBe('folders');
    expect(firstRunStep([root], status(false, false), false)).toBe('folders');
  });

  it('shows models until both roles are ready, then indexing', () => {
    expect(firstRunStep([root], null, true)).toBe('models');
    expect(firstRunStep([root], status(true, false), true)).toBe('models');
    expect(firstRunStep([root], status(true, true), true)).toBe('indexing');
  });
});

describe('defaultModelsToSetUp', () => {
  it('lists default models that are neither converted nor being set up', () => {
    const models = [
      entry('caption-model'),
      entry('search-model', { role: 'search', state: 'downloaded', setup: 'failed' }),
      entry('converted-model', { state: 'converted' }),
      entry('running-model', { setup: 'running' }),
      entry('optional-model', { isDefault: false }),
    ];
    expect(defaultModelsToSetUp(status(false, false, models))).toEqual([
      'caption-model',
      'search-model',
    ]);
  });
});
