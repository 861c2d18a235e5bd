import { describe, expect, it } from 'vitest';
import { MENU_COMMANDS } from '../../../src-main/shared/contract.ts';
import { commandEffect } from '../../../src-renderer/lib/menu-commands.ts';

describe('commandEffect', () => {
  it('switches views for the show-* commands', () => {
    expect(commandEffect('show-library')).toEqual({ kind: 'view', view: 'library' });
    expect(commandEffect('show-indexing')).toEqual({ kind: 'view', view: 'indexing' });
    expect(commandEffect('show-models')).toEqual({ kind: 'view', view: 'models' });
  });

  it('maps every other command to its own effect; open-image is the main process’s', () => {
    expect(commandEffect('focus-search').kind).toBe('focus-search');
    expect(commandEffect('add-folder').kind).toBe('add-folder');
    expect(commandEffect('start-indexing').kind).toBe('start-indexing');
    expect(commandEffect('toggle-theme').kind).toBe('toggle-theme');
    expect(commandEffect('open-image').kind).toBe('none');
  });

  it('knows every command of the contract', () => {
    for (const command of MENU_COMMANDS) expect(commandEffect(command)).toBeDefined();
  });
});
