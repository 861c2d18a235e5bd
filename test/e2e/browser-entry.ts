// Entry of the browser build used by the end-to-end tests: the page talks to the core over
// HTTP + SSE (same origin) instead of Electron's preload bridge, then the real renderer starts.
import { createHttpAppApi } from '../../src-main/transport/http-app-api.ts';

// `window.sightline` is read-only in the renderer's typings because the preload owns it;
// in the browser build nobody else defines it, so this entry does.
Object.defineProperty(window, 'sightline', { value: createHttpAppApi(location.origin) });

await import('../../src-renderer/main.ts');
