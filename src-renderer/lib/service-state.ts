// The banner shown while the background service is down (it restarts by itself, or gave up).
import type { AppEvent } from '../../src-main/shared/contract.ts';

type ServiceState = Extract<AppEvent, { type: 'service-state' }>;

export interface ServiceBanner {
  tone: 'warning' | 'error';
  text: string;
}

export function serviceBanner(event: Pick<ServiceState, 'state' | 'detail'>): ServiceBanner | null {
  const detail = event.detail !== null && event.detail !== '' ? ` (${event.detail})` : '';
  switch (event.state) {
    case 'running':
      return null;
    case 'restarting':
      return {
        tone: 'warning',
        text: `The background service stopped and is restarting${detail}. Work in progress may need to be started again.`,
      };
    case 'failed':
      return {
        tone: 'error',
        text: `The background service could not be restarted${detail}. Restart Sightline.`,
      };
  }
}
