import type { AppEvent, AppEventListener, Unsubscribe } from '../shared/app-events.ts';

/** Fan-out of app events; a throwing listener never stops the others or the emitter. */
export class EventHub {
  private readonly listeners = new Set<AppEventListener>();

  subscribe(listener: AppEventListener): Unsubscribe {
    // A wrapper per subscription, so the same function subscribed twice is two subscriptions.
    const entry: AppEventListener = (event) => listener(event);
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  emit(event: AppEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        console.error('sightline: an event listener failed', error);
      }
    }
  }
}
