import { describe, expect, it } from 'vitest';
import { serviceBanner } from '../../../src-renderer/lib/service-state.ts';

describe('serviceBanner', () => {
  it('shows nothing while the service runs', () => {
    expect(serviceBanner({ state: 'running', detail: null })).toBeNull();
  });

  it('warns while it restarts and says why when known', () => {
    const banner = serviceBanner({ state: 'restarting', detail: 'exit code 3' });
    expect(banner?.tone).toBe('warning');
    expect(banner?.text).toContain('restarting');
    expect(banner?.text).toContain('exit code 3');
  });

  it('reports an error when it could not be restarted', () => {
    const banner = serviceBanner({ state: 'failed', detail: null });
    expect(banner?.tone).toBe('error');
    expect(banner?.text).not.toContain('()');
  });
});
