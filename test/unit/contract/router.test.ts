import { describe, expect, it, vi } from 'vitest';

import { createRouter, type Handlers } from '../../../main/api/router.ts';
import {
  ErrorEnvelope,
  eventChannels,
  events,
  FluxdeckError,
  requestChannels,
  requests,
} from '../../../main/contract/index.ts';
import { silentLogger } from '../../../main/util/logger.ts';

const ctx = { signal: new AbortController().signal, client: 'test' };
const key = { cluster: 'prod', kind: 'Kustomization', namespace: 'flux-system', name: 'apps' } as const;
const actionId = '0f8fad5b-d9cb-469f-a165-70867728950e';

/** Handlers that record their calls; every one resolves to something the test can recognise. */
function recordingHandlers(): { handlers: Handlers; calls: { channel: string; payload: unknown }[] } {
  const calls: { channel: string; payload: unknown }[] = [];
  const handlers = Object.fromEntries(
    requestChannels.map((channel) => [
      channel,
      (payload: unknown) => {
        calls.push({ channel, payload });
        return Promise.resolve({ handledBy: channel });
      },
    ]),
  ) as unknown as Handlers;
  return { handlers, calls };
}

describe('the contract', () => {
  it('declares a schema for every channel name, and no schema without a name', () => {
    expect(Object.keys(requests).sort()).toEqual([...requestChannels].sort());
    expect(Object.keys(events).sort()).toEqual([...eventChannels].sort());
  });

  it('names requests domain:verb and events domain:onEvent', () => {
    for (const c of requestChannels) expect(c).toMatch(/^[a-z]+:[a-z][A-Za-z]*$/);
    for (const c of eventChannels) expect(c).toMatch(/^[a-z]+:on[A-Z][A-Za-z]*$/);
  });
});

describe('the router', () => {
  const invalid: [string, string, unknown][] = [
    ['an unknown key', 'clusters:list', { extra: true }],
    ['a missing field', 'clusters:connect', {}],
    ['a wrong type', 'clusters:connect', { cluster: 42 }],
    ['an empty context name', 'clusters:connect', { cluster: '' }],
    ['no payload at all', 'graph:snapshot', undefined],
    [
      'a kind that is not a Flux kind',
      'flux:reconcile',
      { actionId, key: { ...key, kind: 'Deployment' }, withSource: false },
    ],
    ['a malformed action id', 'flux:reconcile', { actionId: 'x', key, withSource: false }],
    ['an extra key inside the object key', 'flux:suspend', { actionId, key: { ...key, apiVersion: 'v1' } }],
    ['a diff of something that is not a Kustomization', 'flux:diff', { key: { ...key, kind: 'HelmRelease' } }],
    ['a Helm rollback of a Kustomization', 'helm:rollback', { actionId, key, revision: 1 }],
    [
      'a Helm rollback to revision 0 (Helm counts from 1)',
      'helm:rollback',
      { actionId, key: { ...key, kind: 'HelmRelease' }, revision: 0 },
    ],
    [
      'an uninstall that does not say whether to suspend the Kustomization',
      'helm:uninstall',
      { actionId, key: { ...key, kind: 'HelmRelease' } },
    ],
    ['a string where a boolean belongs', 'engine:setPaused', { paused: 'yes' }],
    [
      'a kind with a path in it',
      'objects:get',
      { key: { cluster: 'c', group: '', kind: '../Secret', namespace: '', name: 'x' } },
    ],
  ];

  it.each(invalid)(
    'refuses %s with the invalid-request envelope and never calls the handler',
    async (_what, channel, payload) => {
      const { handlers, calls } = recordingHandlers();
      const router = createRouter(handlers, { logger: silentLogger });
      const result = await router.invoke(channel, payload, ctx);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(ErrorEnvelope.parse(result.error)).toEqual(result.error);
      expect(result.error.code).toBe('invalid-request');
      expect(result.error.message).toContain(channel);
      expect((result.error.details?.issues as unknown[]).length).toBeGreaterThan(0);
      expect(calls).toEqual([]);
    },
  );

  it('refuses an unknown channel, including names inherited from Object.prototype', async () => {
    const { handlers, calls } = recordingHandlers();
    const router = createRouter(handlers, { logger: silentLogger });
    for (const channel of ['clusters:delete', 'toString', '__proto__', 'constructor']) {
      const result = await router.invoke(channel, {}, ctx);
      expect(result).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    }
    expect(calls).toEqual([]);
  });

  it('passes a valid payload to its handler, parsed', async () => {
    const { handlers, calls } = recordingHandlers();
    const router = createRouter(handlers, { logger: silentLogger });
    const result = await router.invoke('flux:reconcile', { actionId, key, withSource: true }, ctx);
    expect(result).toEqual({ ok: true, value: { handledBy: 'flux:reconcile' } });
    expect(calls).toEqual([{ channel: 'flux:reconcile', payload: { actionId, key, withSource: true } }]);
  });

  it('turns a FluxdeckError into its code, with the cause chain in details', async () => {
    const { handlers } = recordingHandlers();
    handlers['clusters:connect'] = () =>
      Promise.reject(
        new FluxdeckError('unauthorized', 'prod refused the credentials; log in again', {
          cause: new Error('401 Unauthorized', { cause: new Error('token expired') }),
        }),
      );
    const router = createRouter(handlers, { logger: silentLogger });
    const result = await router.invoke('clusters:connect', { cluster: 'prod' }, ctx);
    expect(result).toEqual({
      ok: false,
      error: {
        code: 'unauthorized',
        message: 'prod refused the credentials; log in again',
        details: { causes: ['401 Unauthorized', 'token expired'] },
      },
    });
  });

  it('turns any other throw into internal, keeping the message', async () => {
    const { handlers } = recordingHandlers();
    handlers['graph:snapshot'] = () => Promise.reject(new TypeError('cannot read properties of undefined'));
    const router = createRouter(handlers, { logger: silentLogger });
    const result = await router.invoke('graph:snapshot', {}, ctx);
    expect(result).toEqual({ ok: false, error: { code: 'internal', message: 'cannot read properties of undefined' } });
  });

  it('with response checking on, reports a handler that breaks the contract', async () => {
    const { handlers } = recordingHandlers();
    const router = createRouter(handlers, { logger: silentLogger, checkResponses: true });
    const result = await router.invoke('app:health', {}, ctx);
    expect(result).toMatchObject({ ok: false, error: { code: 'internal' } });
  });

  it('hands the request context (abort signal, client) to the handler', async () => {
    const { handlers } = recordingHandlers();
    const seen = vi.fn();
    handlers['clusters:list'] = (_p, c) => {
      seen(c);
      return Promise.resolve([]);
    };
    const router = createRouter(handlers, { logger: silentLogger });
    await router.invoke('clusters:list', {}, ctx);
    expect(seen).toHaveBeenCalledWith(ctx);
  });
});
