// Client-chosen ids let the renderer match streamed `answer-token` events to its own request
// before the reply to `ask` arrives.
let counter = 0;

export function newRequestId(prefix: string): string {
  counter++;
  const random = Math.random().toString(36).slice(2, 10);
  return `${prefix}-${Date.now().toString(36)}-${counter}-${random}`;
}
