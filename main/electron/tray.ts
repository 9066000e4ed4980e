/**
 * The tray icon: overall health as the icon's colour, the unread alert count as a badge (title on macOS, a dot on the
 * icon and the tooltip elsewhere), and a menu to open the window, pause all reconciling, or quit. The model is a pure
 * function of the health summary so it is tested without Electron.
 */
import { join } from 'node:path';

import { app, Menu, type MenuItemConstructorOptions, nativeImage, Tray } from 'electron';

import type { HealthSummary, OverallHealth } from '../contract/index.ts';

export type TrayIconName = `${OverallHealth | 'paused'}${'' | '-unread'}`;

export interface TrayModel {
  icon: TrayIconName;
  tooltip: string;
  /** Shown next to the icon on macOS. */
  title: string;
  status: string;
  paused: boolean;
  unread: number;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function statusLine(h: HealthSummary): string {
  if (h.connectedClusters === 0) return 'No cluster connected';
  const parts = [plural(h.connectedClusters, 'cluster')];
  if (h.failing > 0) parts.push(`${h.failing} failing`);
  if (h.unhealthyWorkloads > 0) parts.push(plural(h.unhealthyWorkloads, 'unhealthy workload'));
  if (h.progressing > 0) parts.push(`${h.progressing} reconciling`);
  if (h.suspended > 0) parts.push(`${h.suspended} suspended`);
  if (parts.length === 1) parts.push('all ready');
  return parts.join(' · ');
}

export function trayModel(h: HealthSummary): TrayModel {
  const base: OverallHealth | 'paused' = h.paused ? 'paused' : h.overall;
  const unread = h.unreadAlerts > 0;
  const status = statusLine(h);
  const alerts = unread ? ` · ${plural(h.unreadAlerts, 'unread alert')}` : '';
  return {
    icon: `${base}${unread ? '-unread' : ''}`,
    tooltip: `Fluxdeck: ${h.paused ? 'reconciling paused · ' : ''}${status}${alerts}`,
    title: unread ? String(h.unreadAlerts) : '',
    status,
    paused: h.paused,
    unread: h.unreadAlerts,
  };
}

export interface TrayActions {
  open(): void;
  /** Opens the window on the inbox. */
  openInbox(): void;
  setPaused(paused: boolean): void;
  quit(): void;
}

export function trayMenu(model: TrayModel, actions: TrayActions): MenuItemConstructorOptions[] {
  return [
    { label: model.status, enabled: false },
    { type: 'separator' },
    { label: 'Open Fluxdeck', click: () => actions.open() },
    {
      label: model.unread > 0 ? `Open Inbox (${model.unread} unread)` : 'Open Inbox',
      click: () => actions.openInbox(),
    },
    {
      label: 'Pause all reconciling',
      type: 'checkbox',
      checked: model.paused,
      click: () => actions.setPaused(!model.paused),
    },
    { type: 'separator' },
    { label: 'Quit Fluxdeck', click: () => actions.quit() },
  ];
}

export interface FluxdeckTray {
  update(h: HealthSummary): void;
  destroy(): void;
}

/** Creates the tray. Icons are `resources/tray/<name>.png` (with @2x variants picked up by nativeImage). */
export function createTray(iconDir: string, initial: HealthSummary, actions: TrayActions): FluxdeckTray {
  const image = (name: TrayIconName): Electron.NativeImage => nativeImage.createFromPath(join(iconDir, `${name}.png`));
  let model = trayModel(initial);
  const tray = new Tray(image(model.icon));
  const apply = (): void => {
    tray.setImage(image(model.icon));
    tray.setToolTip(model.tooltip);
    if (process.platform === 'darwin') tray.setTitle(model.title);
    // Launcher badges (macOS dock, Unity launchers); a no-op where unsupported.
    app.setBadgeCount(Number(model.title || 0));
    tray.setContextMenu(Menu.buildFromTemplate(trayMenu(model, actions)));
  };
  tray.on('click', () => actions.open());
  apply();
  return {
    update(h) {
      const next = trayModel(h);
      if (JSON.stringify(next) === JSON.stringify(model)) return;
      model = next;
      apply();
    },
    destroy: () => tray.destroy(),
  };
}
