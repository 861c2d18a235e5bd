import { describe, expect, it } from 'vitest';
import {
  defaultProviderOrder,
  parseProviderPreference,
  runtimeOptionsFrom,
} from '../../../../src-main/engine/runtime/providers.ts';

describe('execution provider preference', () => {
  it('puts the platform accelerator first and CPU last', () => {
    expect(defaultProviderOrder('linux', 'x64')).toEqual(['cuda', 'cpu']);
    expect(defaultProviderOrder('win32', 'x64')).toEqual(['dml', 'cpu']);
    expect(defaultProviderOrder('darwin', 'arm64')).toEqual(['coreml', 'cpu']);
    expect(defaultProviderOrder('linux', 'arm64')).toEqual(['cpu']);
  });

  it('parses explicit lists and always keeps CPU as the last resort', () => {
    expect(parseProviderPreference('cuda')).toEqual(['cuda', 'cpu']);
    expect(parseProviderPreference(' CPU ')).toEqual(['cpu']);
    expect(parseProviderPreference('dml,cpu')).toEqual(['dml', 'cpu']);
    expect(parseProviderPreference('auto')).toEqual(defaultProviderOrder());
    expect(() => parseProviderPreference('tpu')).toThrow(/unknown execution provider "tpu"/);
  });

  it('validates thread counts', () => {
    expect(runtimeOptionsFrom({ provider: 'cpu', threads: '3' })).toEqual({
      providers: ['cpu'],
      intraOpThreads: 3,
    });
    expect(() => runtimeOptionsFrom({ threads: '-1' })).toThrow(/whole number/);
  });
});
