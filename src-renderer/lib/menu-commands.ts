// What each app-menu command means for the renderer (the shell carries the effects out).
import type { MenuCommand } from '../../src-main/shared/contract.ts';
import type { MainView } from './ui-types.ts';

export type CommandEffect =
  | { kind: 'view'; view: MainView }
  | { kind: 'focus-search' }
  | { kind: 'add-folder' }
  | { kind: 'start-indexing' }
  | { kind: 'toggle-theme' }
  /** Handled by the main process (it opens the file and sends `files-opened`). */
  | { kind: 'none' };

export function commandEffect(command: MenuCommand): CommandEffect {
  switch (command) {
    case 'show-library':
      return { kind: 'view', view: 'library' };
    case 'show-indexing':
      return { kind: 'view', view: 'indexing' };
    case 'show-models':
      return { kind: 'view', view: 'models' };
    case 'focus-search':
      return { kind: 'focus-search' };
    case 'add-folder':
      return { kind: 'add-folder' };
    case 'start-indexing':
      return { kind: 'start-indexing' };
    case 'toggle-theme':
      return { kind: 'toggle-theme' };
    case 'open-image':
      return { kind: 'none' };
  }
}
