/**
 * The application menu. Edit and window roles come from Electron; the Go menu forwards commands to the renderer
 * (`app:onCommand`), so keyboard accelerators and the command palette share one implementation there.
 */
import type { MenuItemConstructorOptions } from 'electron';

import type { AppCommand } from '../contract/index.ts';

export interface MenuActions {
  command(command: AppCommand['command']): void;
  setPaused(paused: boolean): void;
  isPaused(): boolean;
  openLogs(): void;
  quit(): void;
}

export function appMenuTemplate(actions: MenuActions, platform: string, dev: boolean): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  return [
    ...(mac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        {
          label: 'Pause All Reconciling',
          type: 'checkbox',
          checked: actions.isPaused(),
          click: (item) => actions.setPaused(item.checked),
        },
        { type: 'separator' },
        { label: 'Open Log Folder', click: () => actions.openLogs() },
        { type: 'separator' },
        { label: mac ? 'Close Window' : 'Close', role: 'close' },
        ...(mac ? [] : [{ label: 'Quit', accelerator: 'Ctrl+Q', click: () => actions.quit() }]),
      ],
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        { label: 'Command Palette…', accelerator: 'CmdOrCtrl+K', click: () => actions.command('palette') },
        { label: 'Search', click: () => actions.command('search') },
        { label: 'Fit Graph', click: () => actions.command('fit') },
        { label: 'Inbox', accelerator: 'CmdOrCtrl+Shift+I', click: () => actions.command('inbox') },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
        ...(dev
          ? [{ type: 'separator' as const }, { role: 'reload' as const }, { role: 'toggleDevTools' as const }]
          : []),
      ],
    },
    {
      label: '&Sync',
      submenu: [
        // No accelerators: Shift-R / Shift-T are handled in the page, where focus decides whether they apply.
        { label: 'Reconcile Selected (Shift+R)', click: () => actions.command('reconcile') },
        { label: 'Suspend or Resume Selected (Shift+T)', click: () => actions.command('suspend-toggle') },
      ],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [{ label: 'Keyboard Shortcuts', accelerator: 'Shift+?', click: () => actions.command('shortcuts') }],
    },
  ];
}
