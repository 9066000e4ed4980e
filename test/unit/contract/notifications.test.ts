import { describe, expect, it } from 'vitest';

import { createRouter, type Handlers } from '../../../main/api/router.ts';
import { DEFAULT_NOTIFICATION_SETTINGS, type RequestChannel, requestChannels } from '../../../main/contract/index.ts';
import { silentLogger } from '../../../main/util/logger.ts';

// The Notifications view's requests: what the router lets through to a handler, and what it refuses first.

const ctx = { signal: new AbortController().signal, client: 'test' };

async function invoke(
  channel: RequestChannel,
  payload: unknown,
): Promise<{ ok: boolean; code?: string; issues?: unknown }> {
  const handlers = Object.fromEntries(
    requestChannels.map((c) => [c, () => Promise.resolve({ handled: c })]),
  ) as unknown as Handlers;
  const res = await createRouter(handlers, { logger: silentLogger }).invoke(channel, payload, ctx);
  return res.ok ? { ok: true } : { ok: false, code: res.error.code, issues: res.error.details?.issues };
}

const settings = DEFAULT_NOTIFICATION_SETTINGS;
const provider = { cluster: 'prod', namespace: 'flux-system', name: 'slack' };

describe('notification requests', () => {
  it('accepts the overview, a test event for one Provider and valid settings', async () => {
    expect(await invoke('notifications:overview', {})).toEqual({ ok: true });
    expect(await invoke('notifications:sendTest', { provider })).toEqual({ ok: true });
    expect(await invoke('notifications:setSettings', { settings })).toEqual({ ok: true });
    const custom = {
      os: {
        eventSeverity: 'info',
        kinds: ['Kustomization', 'HelmRelease'],
        names: ['*', 'apps'],
        namespaces: ['flux-system'],
        inclusionList: ['^health check'],
        exclusionList: ['DependencyNotReady|timeout'],
      },
      receiver: { enabled: true, address: '[::1]:0' },
    };
    expect(await invoke('notifications:setSettings', { settings: custom })).toEqual({ ok: true });
  });

  it.each([
    ['an unknown key', { settings: { ...settings, extra: 1 } }],
    [
      'a regex that does not compile',
      { settings: { ...settings, os: { ...settings.os, inclusionList: ['(unclosed'] } } },
    ],
    ['a severity Flux does not have', { settings: { ...settings, os: { ...settings.os, eventSeverity: 'warning' } } }],
    ['a kind that is not a kind', { settings: { ...settings, os: { ...settings.os, kinds: ['not a kind'] } } }],
    ['an address without a port', { settings: { ...settings, receiver: { enabled: true, address: '127.0.0.1' } } }],
    ['a port out of range', { settings: { ...settings, receiver: { enabled: true, address: '127.0.0.1:70000' } } }],
    ['an address with a path', { settings: { ...settings, receiver: { enabled: true, address: 'a.b:80/x' } } }],
  ])('refuses settings with %s', async (_what, payload) => {
    expect(await invoke('notifications:setSettings', payload)).toMatchObject({ ok: false, code: 'invalid-request' });
  });

  it.each([
    ['no namespace', { provider: { ...provider, namespace: '' } }],
    ['an extra key (an address to send to)', { provider: { ...provider, address: 'http://evil' } }],
    ['no name', { provider: { cluster: 'prod', namespace: 'flux-system' } }],
  ])('refuses a test event with %s', async (_what, payload) => {
    expect(await invoke('notifications:sendTest', payload)).toMatchObject({ ok: false, code: 'invalid-request' });
  });
});
