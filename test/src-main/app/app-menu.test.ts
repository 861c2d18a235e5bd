import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';
import { buildAppMenuTemplate } from '../../../src-main/app/app-menu.ts';
import { MENU_COMMANDS, type MenuCommand } from '../../../src-main/shared/contract.ts';

/**
 * Accelerators Electron gives roles by default (docs: MenuItem roles), for the roles the menu
 * uses: our own shortcuts must not collide with them.
 */
const ROLE_ACCELERATORS: Record<string, { darwin: string; other: string } | undefined> = {
  undo: { darwin: 'CmdOrCtrl+Z', other: 'CmdOrCtrl+Z' },
  redo: { darwin: 'Shift+CmdOrCtrl+Z', other: 'Shift+CmdOrCtrl+Z' },
  cut: { darwin: 'CmdOrCtrl+X', other: 'CmdOrCtrl+X' },
  copy: { darwin: 'CmdOrCtrl+C', other: 'CmdOrCtrl+C' },
  paste: { darwin: 'CmdOrCtrl+V', other: 'CmdOrCtrl+V' },
  selectall: { darwin: 'CmdOrCtrl+A', other: 'CmdOrCtrl+A' },
  reload: { darwin: 'CmdOrCtrl+R', other: 'CmdOrCtrl+R' },
  forcereload: { darwin: 'Shift+CmdOrCtrl+R', other: 'Shift+CmdOrCtrl+R' },
  toggledevtools: { darwin: 'Alt+CmdOrCtrl+I', other: 'Ctrl+Shift+I' },
  resetzoom: { darwin: 'CmdOrCtrl+0', other: 'CmdOrCtrl+0' },
  zoomin: { darwin: 'CmdOrCtrl+Plus', other: 'CmdOrCtrl+Plus' },
  zoomout: { darwin: 'CmdOrCtrl+-', other: 'CmdOrCtrl+-' },
  togglefullscreen: { darwin: 'Ctrl+CmdOrCtrl+F', other: 'F11' },
  minimize: { darwin: 'CmdOrCtrl+M', other: 'CmdOrCtrl+M' },
  close: { darwin: 'CmdOrCtrl+W', other: 'CmdOrCtrl+W' },
  quit: { darwin: 'CmdOrCtrl+Q', other: 'CmdOrCtrl+Q' },
  hide: { darwin: 'CmdOrCtrl+H', other: 'CmdOrCtrl+H' },
  hideothers: { darwin: 'Alt+CmdOrCtrl+H', other: 'Alt+CmdOrCtrl+H' },
};

function items(template: readonly MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return template.flatMap((item) => [
    item,
    ...(Array.isArray(item.submenu) ? items(item.submenu) : []),
  ]);
}

/** `Shift+CmdOrCtrl+Z` and `CommandOrControl+shift+z` are the same shortcut. */
function normalise(accelerator: string): string {
  const parts = accelerator
    .toLowerCase()
    .replace('commandorcontrol', 'cmdorctrl')
    .replace('control', 'ctrl')
    .split('+');
  const key = parts.pop()!;
  return [...parts.sort(), key].join('+');
}

function build(platform: NodeJS.Platform, isDevelopment = true) {
  const commands: MenuCommand[] = [];
  const template = buildAppMenuTemplate({
    platform,
    appName: 'Sightline',
    isDevelopment,
    onCommand: (command) => commands.push(command),
  });
  return { template, commands, all: items(template) };
}

describe.each(['darwin', 'linux', 'win32'] as const)('app menu on %s', (platform) => {
  it('reaches every menu command, each from exactly one item', () => {
    const { all, commands } = build(platform);
    for (const item of all) {
      if (item.role === undefined && item.submenu === undefined && item.click !== undefined) {
        (item.click as () => void)();
      }
    }
    expect([...commands].sort()).toEqual([...MENU_COMMANDS].sort());
  });

  it('has no duplicate accelerators, counting the roles’ own', () => {
    for (const isDevelopment of [true, false]) {
      const { all } = build(platform, isDevelopment);
      const accelerators = all.flatMap((item) => {
        if (item.accelerator !== undefined) return [normalise(item.accelerator)];
        const defaults =
          item.role === undefined ? undefined : ROLE_ACCELERATORS[item.role.toLowerCase()];
        if (defaults === undefined) return [];
        return [normalise(platform === 'darwin' ? defaults.darwin : defaults.other)];
      });
      const duplicates = accelerators.filter(
        (value, index) => accelerators.indexOf(value) !== index,
      );
      expect(duplicates).toEqual([]);
    }
  });

  it('binds the documented shortcuts', () => {
    const { all, commands } = build(platform);
    const byAccelerator = (accelerator: string): MenuCommand | undefined => {
      const item = all.find((candidate) => candidate.accelerator === accelerator);
      (item?.click as (() => void) | undefined)?.();
      return commands.pop();
    };
    expect(byAccelerator('CmdOrCtrl+O')).toBe('add-folder');
    expect(byAccelerator('CmdOrCtrl+Shift+O')).toBe('open-image');
    expect(byAccelerator('CmdOrCtrl+F')).toBe('focus-search');
    expect(byAccelerator('CmdOrCtrl+1')).toBe('show-library');
    expect(byAccelerator('CmdOrCtrl+2')).toBe('show-indexing');
    expect(byAccelerator('CmdOrCtrl+3')).toBe('show-models');
  });

  it('keeps reload and developer tools out of production builds', () => {
    const roles = (isDevelopment: boolean) =>
      build(platform, isDevelopment).all.map((item) => item.role);
    expect(roles(true)).toEqual(expect.arrayContaining(['reload', 'toggleDevTools']));
    expect(roles(false)).not.toContain('reload');
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(false)).toEqual(expect.arrayContaining(['undo', 'copy', 'paste', 'quit']));
  });
});

describe('app menu per platform', () => {
  it('starts with the app menu on macOS only', () => {
    expect(build('darwin').template[0]?.label).toBe('Sightline');
    expect(build('linux').template[0]?.label).toBe('File');
    expect(build('darwin').all.map((item) => item.role)).toContain('hide');
    expect(build('linux').all.map((item) => item.role)).not.toContain('hide');
  });
});
