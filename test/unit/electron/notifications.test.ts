import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { InboxItem } from '../../../main/contract/index.ts';
import { silentLogger } from '../../../main/util/logger.ts';
import type { InboxChange } from '../../../main/workbench/workbench.ts';
import { electronStub, FakeNotification } from './electron-stub.ts';

vi.mock('electron', () => electronStub);

const { startNotifications } = await import('../../../main/electron/notifications.ts');

function fakeInbox(): { onChange(l: (c: InboxChange) => void): () => void; emit(c: InboxChange): void } {
  const listeners = new Set<(c: InboxChange) => void>();
  return {
    onChange: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    emit: (c) => {
      for (const l of listeners) l(c);
    },
  };
}

const item = (id: number, over: Partial<InboxItem> = {}): InboxItem => ({
  id,
  rule: 'reconcile-failed',
  severity: 'error',
  cluster: 'prod',
  object: { kind: 'Kustomization', namespace: 'flux-system', name: `apps-${id}` },
  reason: 'BuildFailed',
  message: 'kustomization.yaml: accumulating resources: missing.yaml: no such file',
  count: 1,
  firstSeen: '2026-01-01T00:00:00Z',
  lastSeen: '2026-01-01T00:00:00Z',
  read: false,
  acknowledged: false,
  muted: false,
  ...over,
});

beforeEach(() => {
  vi.useFakeTimers();
  FakeNotification.created = [];
  FakeNotification.supported = true;
});
afterEach(() => vi.useRealTimers());

describe('OS notifications', () => {
  it('shows new errors grouped into one notification, and a click opens those items', () => {
    const inbox = fakeInbox();
    const onClick = vi.fn();
    const notifier = startNotifications({ inbox, onClick, logger: silentLogger });
    inbox.emit({ type: 'added', item: item(1) });
    inbox.emit({ type: 'added', item: item(2) });
    inbox.emit({ type: 'added', item: item(3, { severity: 'warning', rule: 'warning' }) });
    vi.advanceTimersByTime(2000);
    expect(FakeNotification.created).toHaveLength(1);
    const shown = FakeNotification.created[0]!;
    expect(shown.shown).toBe(true);
    expect(shown.options).toMatchObject({ title: '2 new errors in prod', urgency: 'critical' });
    shown.emit('click');
    expect(onClick).toHaveBeenCalledWith([2, 1]);
    notifier?.stop();
  });

  it('does not notify repeats, and starts nothing where the desktop has no notifications', () => {
    const inbox = fakeInbox();
    const notifier = startNotifications({ inbox, onClick: vi.fn(), logger: silentLogger });
    inbox.emit({ type: 'repeated', item: item(1, { count: 2 }) });
    vi.advanceTimersByTime(60_000);
    expect(FakeNotification.created).toHaveLength(0);
    notifier?.stop();
    FakeNotification.supported = false;
    expect(startNotifications({ inbox, onClick: vi.fn(), logger: silentLogger })).toBeUndefined();
  });
});
