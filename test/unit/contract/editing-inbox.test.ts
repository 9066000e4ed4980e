import { describe, expect, it } from 'vitest';

import { createRouter, type Handlers } from '../../../main/api/router.ts';
import { events, type RequestChannel, requestChannels, requests } from '../../../main/contract/index.ts';
import { silentLogger } from '../../../main/util/logger.ts';

// The editor's and the inbox's requests and events: what the router lets through to a handler, and what it refuses
// before any handler runs.

const ctx = { signal: new AbortController().signal, client: 'test' };
const repo = { cluster: 'prod', kind: 'GitRepository', namespace: 'flux-system', name: 'flux-system' } as const;
const ks = { cluster: 'prod', kind: 'Kustomization', namespace: 'flux-system', name: 'apps' } as const;
const id = '5f0c1d6e-5b7a-4a0e-9d1e-2f4b8c9a0d11';

function router(): { invoke(channel: RequestChannel, payload: unknown): Promise<{ ok: boolean; code?: string }> } {
  const handlers = Object.fromEntries(
    requestChannels.map((c) => [c, () => Promise.resolve({ handled: c })]),
  ) as unknown as Handlers;
  const r = createRouter(handlers, { logger: silentLogger });
  return {
    invoke: async (channel, payload) => {
      const res = await r.invoke(channel, payload, ctx);
      return res.ok ? { ok: true } : { ok: false, code: res.error.code };
    },
  };
}

describe('the editor and inbox requests', () => {
  const valid: [RequestChannel, unknown][] = [
    ['inbox:list', { filter: { cluster: ['prod', 'staging'], severity: 'error', text: 'web', limit: 200 } }],
    ['inbox:markRead', { ids: 'all', read: true }],
    ['inbox:acknowledge', { ids: [1, 2], acknowledged: true }],
    ['inbox:mute', { scope: { cluster: 'prod', object: { kind: 'Kustomization', namespace: 'a', name: 'b' } } }],
    ['inbox:mute', { scope: { cluster: 'prod', until: '2030-01-01T00:00:00Z' } }],
    ['inbox:drift', { key: { cluster: 'prod', group: 'apps', kind: 'Deployment', namespace: 'web', name: 'web' } }],
    ['workspace:open', { repo }],
    ['workspace:write', { id, path: 'apps/deploy.yaml', text: 'kind: Deployment\n' }],
    ['workspace:preview', { id, previewId: id }],
    ['workspace:commit', { id, message: 'Scale web', author: { name: 'Ada', email: 'ada@example.com' } }],
    ['workspace:reapply', { id, keepMine: false }],
    ['workspace:setCredentials', { id, credentials: { username: 'ada', password: 'token' }, remember: true }],
    ['workspace:setCredentials', { id, credentials: { bearerToken: 'token' }, remember: false }],
    ['objects:apply', { key: ks, yaml: 'spec: {}\n', resourceVersion: '42' }],
    ['schemas:get', { cluster: 'prod', apiVersion: 'apps/v1', kind: 'Deployment' }],
  ];
  it.each(valid)('passes a well-formed %s to its handler', async (channel, payload) => {
    expect(await router().invoke(channel, payload)).toEqual({ ok: true });
  });

  const invalid: [string, RequestChannel, unknown][] = [
    ['a filter key the inbox does not know', 'inbox:list', { filter: { owner: 'me' } }],
    ['a page larger than 1000', 'inbox:list', { filter: { limit: 5000 } }],
    ['a severity that does not exist', 'inbox:list', { filter: { severity: 'fatal' } }],
    ['no ids to acknowledge', 'inbox:acknowledge', { ids: [], acknowledged: true }],
    ['an id that is not an integer', 'inbox:markRead', { ids: [1.5], read: true }],
    ['a snooze that is not a time', 'inbox:mute', { scope: { cluster: 'prod', until: 'tomorrow' } }],
    ['a mute without a cluster', 'inbox:mute', { scope: { object: { kind: 'K', namespace: 'a', name: 'b' } } }],
    ['a work tree of something that is not a GitRepository', 'workspace:open', { repo: { ...repo, kind: 'Bucket' } }],
    ['a malformed work tree id', 'workspace:read', { id: '../../etc', path: 'a.yaml' }],
    ['an empty path', 'workspace:read', { id, path: '' }],
    ['a file larger than 5 MiB', 'workspace:write', { id, path: 'a.yaml', text: 'x'.repeat(5 * 1024 * 1024 + 1) }],
    ['a blank commit message', 'workspace:commit', { id, message: '   ' }],
    ['an author without an email', 'workspace:commit', { id, message: 'm', author: { name: 'Ada' } }],
    [
      'a password without a user name',
      'workspace:setCredentials',
      { id, credentials: { password: 'x' }, remember: true },
    ],
    [
      'credentials of both kinds',
      'workspace:setCredentials',
      { id, credentials: { username: 'a', password: 'b', bearerToken: 'c' }, remember: true },
    ],
    ['an apply without the resourceVersion it started from', 'objects:apply', { key: ks, yaml: 'spec: {}' }],
    ['a kind with a path in it', 'schemas:get', { cluster: 'prod', apiVersion: 'v1', kind: '../Secret' }],
    ['a preview without its id', 'workspace:preview', { id }],
  ];
  it.each(invalid)('refuses %s before any handler runs', async (_what, channel, payload) => {
    expect(await router().invoke(channel, payload)).toEqual({ ok: false, code: 'invalid-request' });
  });

  it('declares the pushed inbox delta and preview progress', () => {
    expect(
      events['inbox:onChanged'].payload.safeParse({
        items: [],
        counts: { unread: 1, unreadErrors: 1, unreadByCluster: { prod: 1 } },
        refresh: false,
      }).success,
    ).toBe(true);
    expect(events['inbox:onChanged'].payload.safeParse({ items: [], refresh: false }).success).toBe(false);
    expect(
      events['workspace:onPreviewProgress'].payload.safeParse({ previewId: id, message: 'Building', done: 0, total: 2 })
        .success,
    ).toBe(true);
  });

  it('describes a refused push and a conflict with what the user needs to decide', () => {
    const push = requests['workspace:push'].res;
    expect(
      push.safeParse({ status: 'rejected', commit: 'abc', reason: 'hook', message: 'protected branch' }).success,
    ).toBe(true);
    expect(push.safeParse({ status: 'rejected', commit: 'abc', reason: 'forced', message: 'x' }).success).toBe(false);
    const reapply = requests['workspace:reapply'].res;
    expect(
      reapply.safeParse({ status: 'conflict', head: 'a', onto: 'b', files: ['apps/deploy.yaml'], message: 'm' })
        .success,
    ).toBe(true);
  });
});
