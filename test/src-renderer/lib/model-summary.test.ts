import { describe, expect, it } from 'vitest';
import { roleSummary } from '../../../src-renderer/lib/model-summary.ts';
import type { ModelStatus } from '../../../src-main/shared/contract.ts';

const role = (overrides: Partial<ModelStatus['caption']>): ModelStatus['caption'] => ({
  dir: '/models/blip2-opt-2.7b',
  ready: true,
  loaded: false,
  preferredProviders: ['cuda', 'cpu'],
  providers: [],
  providerNote: null,
  weightBytes: 15_600_000_000,
  ...overrides,
});

describe('roleSummary', () => {
  it('says a missing model is not installed', () => {
    expect(roleSummary('Captions', role({ ready: false }))).toBe('Captions: not installed');
  });

  it('names the providers that will be tried until the model is used, and its memory', () => {
    expect(roleSummary('Captions', role({}))).toBe(
      'Captions: ready · will try cuda → cpu · needs about 15.6 GB of memory',
    );
  });

  it('names the provider in use and why a better one was not', () => {
    expect(
      roleSummary(
        'Search',
        role({ loaded: true, providers: ['cpu'], providerNote: 'cuda: libcudart.so.12 missing' }),
      ),
    ).toBe(
      'Search: ready · runs on cpu (cuda: libcudart.so.12 missing) · needs about 15.6 GB of memory',
    );
  });
});
