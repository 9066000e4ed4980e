import { beforeEach, describe, expect, it, vi } from 'vitest';

import type { HealthSummary } from '../../../main/contract/index.ts';
import { electronStub, FakeTray } from './electron-stub.ts';

vi.mock('electron', () => electronStub);

const { createTray, trayMenu, trayModel } = await import('../../../main/electron/tray.ts');

const health = (over: Partial<HealthSummary> = {}): HealthSummary => ({
  overall: 'healthy',
  connectedClusters: 2,
  failing: 0,
  progressing: 0,
  suspended: 0,
  ready: 10,
  unhealthyWorkloads: 0,
  unreadAlerts: 0,
  paused: false,
  ...over,
});

interface Item {
  label?: string;
  type?: string;
  checked?: boolean;
  enabled?: boolean;
  click?: () => void;
}

describe('the tray model', () => {
  it('colours the icon by overall health and marks unread alerts', () => {
    expect(trayModel(health()).icon).toBe('healthy');
    expect(trayModel(health({ overall: 'degraded', failing: 2 })).icon).toBe('degraded');
    expect(trayModel(health({ overall: 'degraded', failing: 2, unreadAlerts: 3 }))).toMatchObject({
      icon: 'degraded-unread',
      title: '3',
    });
    expect(trayModel(health({ paused: true })).icon).toBe('paused');
  });

  it('says what is wrong in the tooltip', () => {
    const m = trayModel(
      health({ overall: 'degraded', failing: 2, unhealthyWorkloads: 1, suspended: 1, unreadAlerts: 1 }),
    );
    expect(m.tooltip).toBe('Fluxdeck: 2 clusters · 2 failing · 1 unhealthy workload · 1 suspended · 1 unread alert');
    expect(trayModel(health({ connectedClusters: 0, overall: 'idle' })).tooltip).toBe('Fluxdeck: No cluster connected');
    expect(trayModel(health()).status).toBe('2 clusters · all ready');
  });

  it('offers open, the inbox, pause all reconciling and quit', () => {
    const actions = { open: vi.fn(), openInbox: vi.fn(), setPaused: vi.fn(), quit: vi.fn() };
    const items = trayMenu(trayModel(health()), actions) as Item[];
    expect(items.filter((i) => i.label).map((i) => i.label)).toEqual([
      '2 clusters · all ready',
      'Open Fluxdeck',
      'Open Inbox',
      'Pause all reconciling',
      'Quit Fluxdeck',
    ]);
    const unread = trayMenu(trayModel(health({ unreadAlerts: 3 })), actions) as Item[];
    unread.find((i) => i.label === 'Open Inbox (3 unread)')?.click?.();
    expect(actions.openInbox).toHaveBeenCalledTimes(1);
    items.find((i) => i.label === 'Pause all reconciling')?.click?.();
    items.find((i) => i.label === 'Quit Fluxdeck')?.click?.();
    items.find((i) => i.label === 'Open Fluxdeck')?.click?.();
    expect(actions.setPaused).toHaveBeenCalledWith(true);
    expect(actions.quit).toHaveBeenCalled();
    expect(actions.open).toHaveBeenCalled();
    const paused = trayMenu(trayModel(health({ paused: true })), actions) as Item[];
    const toggle = paused.find((i) => i.label === 'Pause all reconciling');
    expect(toggle).toMatchObject({ type: 'checkbox', checked: true });
    toggle?.click?.();
    expect(actions.setPaused).toHaveBeenLastCalledWith(false);
  });
});

describe('the tray icon', () => {
  beforeEach(() => (FakeTray.created = []));

  it('shows the health icon from resources/tray and updates it when health changes', () => {
    const tray = createTray('/res/tray', health(), {
      open: vi.fn(),
      openInbox: vi.fn(),
      setPaused: vi.fn(),
      quit: vi.fn(),
    });
    const fake = FakeTray.created[0]!;
    expect(fake.image).toEqual({ path: '/res/tray/healthy.png' });
    tray.update(health({ overall: 'degraded', failing: 1, unreadAlerts: 4 }));
    expect(fake.image).toEqual({ path: '/res/tray/degraded-unread.png' });
    expect(fake.tooltip).toContain('4 unread alerts');
    expect(electronStub.app.setBadgeCount).toHaveBeenLastCalledWith(4);
    const labels = (fake.menu as { template: Item[] }).template.map((i) => i.label);
    expect(labels[0]).toBe('2 clusters · 1 failing');
    tray.destroy();
    expect(fake.destroyed).toBe(true);
  });

  it('opens the window on click', () => {
    const open = vi.fn();
    createTray('/res/tray', health(), { open, openInbox: vi.fn(), setPaused: vi.fn(), quit: vi.fn() });
    FakeTray.created[0]!.emit('click');
    expect(open).toHaveBeenCalled();
  });
});
