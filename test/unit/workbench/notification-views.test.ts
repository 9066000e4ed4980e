import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { DEFAULT_NOTIFICATION_SETTINGS } from '../../../main/contract/index.ts';
import type { Alert, Provider, Receiver } from '../../../main/flux/notification.ts';
import type { DeliveryRecord } from '../../../main/notify/index.ts';
import { silentLogger } from '../../../main/util/logger.ts';
import { alertView, deliveryView, providerView, receiverView } from '../../../main/workbench/notification-views.ts';
import { openSettingsFile } from '../../../main/workbench/settings-file.ts';

// What the Notifications view is sent: health from suspend and the last delivery, addresses only from spec.address,
// Secret values masked out of errors; and the settings file that keeps the local settings.

const provider = (spec: Partial<Provider['spec']> = {}): Provider => ({
  apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
  kind: 'Provider',
  metadata: { namespace: 'flux-system', name: 'chat' },
  spec: { type: 'slack', ...spec },
});
const alert = (spec: Partial<Alert['spec']> = {}): Alert => ({
  apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
  kind: 'Alert',
  metadata: { namespace: 'flux-system', name: 'all' },
  spec: { providerRef: { name: 'chat' }, eventSources: [{ kind: 'Kustomization', name: '*' }], ...spec },
});
const record = (over: Partial<DeliveryRecord> = {}): DeliveryRecord => ({
  time: '2026-01-01T00:00:00Z',
  cluster: 'prod',
  provider: { namespace: 'flux-system', name: 'chat', type: 'slack' },
  alert: { namespace: 'flux-system', name: 'all' },
  event: { kind: 'Kustomization', namespace: 'flux-system', name: 'apps', reason: 'BuildFailed', severity: 'error' },
  ok: true,
  status: 200,
  latencyMs: 12,
  attempts: 1,
  ...over,
});

describe('providerView', () => {
  it('shows spec.address, and only the Secret name when the address comes from a Secret', () => {
    expect(providerView('prod', provider({ address: 'https://hooks.example/x' }), [], [])).toMatchObject({
      address: 'https://hooks.example/x',
      health: 'ready',
      message: '',
    });
    const fromSecret = providerView('prod', provider({ secretRef: { name: 'slack-url' } }), [], []);
    expect(fromSecret.address).toBeUndefined();
    expect(fromSecret.secretName).toBe('slack-url');
  });

  it('is failing when the newest delivery failed, says why and what to do; suspended wins', () => {
    const failed = deliveryView(record({ ok: false, status: 500, error: 'postMessage failed: 500' }), []);
    const ok = deliveryView(record(), []);
    const v = providerView('prod', provider(), [alert()], [failed, ok]);
    expect(v).toMatchObject({ health: 'failing', alerts: ['all'] });
    expect(v.message).toMatch(/postMessage failed: 500.*send a test event/);
    expect(providerView('prod', provider(), [], [ok, failed]).health).toBe('ready');
    expect(providerView('prod', provider({ suspend: true }), [], [failed]).health).toBe('suspended');
  });
});

describe('deliveryView', () => {
  it('masks Secret values in errors and marks test events', () => {
    const d = deliveryView(
      record({
        ok: false,
        error: 'dial https://hooks.example/T0KEN-secret: refused',
        test: true,
        alert: { namespace: 'flux-system', name: '' },
      }),
      ['T0KEN-secret', 'x'],
    );
    expect(d.error).toBe('dial https://hooks.example/*****: refused');
    expect(d.test).toBe(true);
    expect(d.alert).toBeUndefined();
  });
});

describe('alertView and receiverView', () => {
  it('says when an Alert names a Provider that does not exist', () => {
    expect(alertView('prod', alert(), [provider()])).toMatchObject({ health: 'ready', sources: ['Kustomization/*'] });
    const missing = alertView('prod', alert({ providerRef: { name: 'gone' } }), [provider()]);
    expect(missing.health).toBe('failing');
    expect(missing.message).toMatch(/Provider 'flux-system\/gone' not found: create it/);
  });

  it('gives a Receiver its path, and its URL when the server runs', () => {
    const r: Receiver = {
      apiVersion: 'notification.toolkit.fluxcd.io/v1',
      kind: 'Receiver',
      metadata: { namespace: 'flux-system', name: 'gh' },
      spec: { type: 'github', resources: [{ kind: 'GitRepository', name: 'repo' }], secretRef: { name: 'tok' } },
    };
    expect(receiverView('prod', r, '/hook/abc')).toMatchObject({ webhookPath: '/hook/abc', health: 'unknown' });
    expect(receiverView('prod', r, '/hook/abc').url).toBeUndefined();
    expect(receiverView('prod', r, '/hook/abc', 'http://127.0.0.1:9292').url).toBe('http://127.0.0.1:9292/hook/abc');
  });
});

describe('settings file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fluxdeck-settings-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('starts from the defaults, persists a save, and keeps sections it does not know', async () => {
    await writeFile(join(dir, 'settings.json'), JSON.stringify({ future: { x: 1 } }));
    const f = openSettingsFile(dir, silentLogger);
    expect(f.current().notifications).toEqual(DEFAULT_NOTIFICATION_SETTINGS);
    const next = { ...DEFAULT_NOTIFICATION_SETTINGS, receiver: { enabled: true, address: '127.0.0.1:0' } };
    await f.save({ notifications: next });
    expect(openSettingsFile(dir, silentLogger).current().notifications).toEqual(next);
    expect(JSON.parse(await readFile(join(dir, 'settings.json'), 'utf8'))).toMatchObject({ future: { x: 1 } });
  });

  it('falls back to the defaults for a damaged file or an invalid section', async () => {
    await writeFile(join(dir, 'settings.json'), '{not json');
    expect(openSettingsFile(dir, silentLogger).current().notifications).toEqual(DEFAULT_NOTIFICATION_SETTINGS);
    await writeFile(join(dir, 'settings.json'), JSON.stringify({ notifications: { os: 'loud' } }));
    expect(openSettingsFile(dir, silentLogger).current().notifications).toEqual(DEFAULT_NOTIFICATION_SETTINGS);
  });
});
