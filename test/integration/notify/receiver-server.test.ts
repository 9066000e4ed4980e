import { createHmac } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { Receiver, ReceiverSpec } from '../../../main/flux/notification.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import { type ReceiverServer, startReceiverServer } from '../../../main/notify/receiver-server.ts';
import { webhookPath } from '../../../main/notify/receiver-webhook.ts';
import { silentLogger } from '../../../main/util/logger.ts';
import { clientFor, ensureNamespace, eventually, gitRepository, installCrds } from '../../support/flux-fixture.ts';

// Receivers as real objects on the real control plane: real signed requests annotate the selected GitRepositories
// with reconcile.fluxcd.io/requestedAt; refused requests annotate nothing.

const cluster = inject('cluster');
const NS = 'notify-receivers';
const GR = { apiVersion: fluxKinds.GitRepository.apiVersion, kind: 'GitRepository', namespace: NS };
const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';

let client: ClusterClient;
let server: ReceiverServer;

const receiver = (name: string, spec: Partial<ReceiverSpec>): Receiver => ({
  apiVersion: fluxKinds.Receiver.apiVersion,
  kind: 'Receiver',
  metadata: { name, namespace: NS },
  spec: {
    type: 'generic',
    secretRef: { name: 'hook-token' },
    resources: [{ kind: 'GitRepository', name: 'app' }],
    ...spec,
  },
});

const requestedAt = async (name: string): Promise<string | undefined> =>
  (await client.get({ ...GR, name })).metadata.annotations?.[REQUESTED_AT];

const clearAnnotations = async (): Promise<void> => {
  for (const name of ['app', 'team-a', 'team-b']) {
    await client.patch({ ...GR, name }, { metadata: { annotations: { [REQUESTED_AT]: null } } }, 'merge');
  }
};

const post = (path: string, body: string, headers: Record<string, string>): Promise<Response> =>
  fetch(`${server.url}${path}`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } });

const sig = (alg: string, body: string, key = 'hook-secret'): string =>
  `${alg}=${createHmac(alg, key).update(body).digest('hex')}`;

const body = '{"ref":"refs/heads/main"}';

beforeAll(async () => {
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  await client.apply(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'hook-token', namespace: NS },
      stringData: { token: 'hook-secret' },
    },
    { fieldManager: 'test', force: true },
  );
  for (const [name, labels] of [
    ['app', {}],
    ['team-a', { team: 'a' }],
    ['team-b', { team: 'b' }],
  ] as const) {
    const repo = gitRepository(NS, name, 'http://127.0.0.1:1/none.git', { suspend: true });
    repo.metadata.labels = labels;
    await client.apply(repo, { fieldManager: 'test', force: true });
  }
  for (const r of [
    receiver('gh', { type: 'github', events: ['push'] }),
    receiver('gl', { type: 'gitlab' }),
    receiver('hmac', {
      type: 'generic-hmac',
      resources: [{ kind: 'GitRepository', name: '*', matchLabels: { team: 'a' } }],
    }),
  ]) {
    await client.apply(r, { fieldManager: 'test', force: true });
  }
  server = await startReceiverServer({
    address: '127.0.0.1:0',
    sessions: () => [{ context: cluster.name, client }],
    logger: silentLogger,
    maxBodyBytes: 64 * 1024,
  });
}, 120_000);

afterAll(async () => {
  await server.close();
  for (const name of ['app', 'team-a', 'team-b']) await client.delete({ ...GR, name }).catch(() => undefined);
  client.close();
});

describe('the receiver server on the real control plane', () => {
  it('a signed GitHub push annotates the resource with Go time; a ping annotates nothing', async () => {
    await clearAnnotations();
    const path = webhookPath('hook-secret', 'gh', NS);
    const ping = await post(path, body, { 'X-GitHub-Event': 'ping', 'X-Hub-Signature-256': sig('sha256', body) });
    expect(ping.status).toBe(200);
    expect(await requestedAt('app')).toBeUndefined();
    const res = await post(path, body, { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': sig('sha256', body) });
    expect(res.status).toBe(200);
    expect(await requestedAt('app')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}$/);
  });

  it('writes status.webhookPath and Ready on the Receivers it has seen', async () => {
    const r = await eventually('the webhook path', async () => {
      const o = await client.get<Receiver>({
        apiVersion: fluxKinds.Receiver.apiVersion,
        kind: 'Receiver',
        namespace: NS,
        name: 'gh',
      });
      return o.status?.webhookPath ? o : undefined;
    });
    expect(r.status?.webhookPath).toBe(webhookPath('hook-secret', 'gh', NS));
    expect(r.status?.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True' });
  });

  it('GitLab with the right token annotates; a wrong token is refused', async () => {
    await clearAnnotations();
    const path = webhookPath('hook-secret', 'gl', NS);
    const wrong = await post(path, body, { 'X-Gitlab-Token': 'nope', 'X-Gitlab-Event': 'Push Hook' });
    expect(wrong.status).toBe(400);
    expect(await requestedAt('app')).toBeUndefined();
    const ok = await post(path, body, { 'X-Gitlab-Token': 'hook-secret', 'X-Gitlab-Event': 'Push Hook' });
    expect(ok.status).toBe(200);
    expect(await requestedAt('app')).toBeDefined();
  });

  it('generic-hmac annotates only what matchLabels selects', async () => {
    await clearAnnotations();
    const res = await post(webhookPath('hook-secret', 'hmac', NS), body, { 'X-Signature': sig('sha256', body) });
    expect(res.status).toBe(200);
    expect(await requestedAt('team-a')).toBeDefined();
    expect(await requestedAt('team-b')).toBeUndefined();
    expect(await requestedAt('app')).toBeUndefined();
  });

  it('refuses a wrong signature, an unauthorised event, an oversized body, an unknown path; nothing annotated', async () => {
    await clearAnnotations();
    const gh = webhookPath('hook-secret', 'gh', NS);
    expect(
      (await post(gh, body, { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': sig('sha256', body, 'wrong') })).status,
    ).toBe(400);
    expect(
      (await post(gh, body, { 'X-GitHub-Event': 'issues', 'X-Hub-Signature-256': sig('sha256', body) })).status,
    ).toBe(400);
    const big = JSON.stringify({ pad: 'x'.repeat(70 * 1024) });
    expect((await post(gh, big, { 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': sig('sha256', big) })).status).toBe(
      413,
    );
    expect(
      (
        await post(webhookPath('other', 'gh', NS), body, {
          'X-GitHub-Event': 'push',
          'X-Hub-Signature-256': sig('sha256', body),
        })
      ).status,
    ).toBe(404);
    expect((await post('/nothing', body, {})).status).toBe(404);
    expect(await requestedAt('app')).toBeUndefined();
  });

  it('after the secret changes, the old path and an old signature are refused', async () => {
    await clearAnnotations();
    await client.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'hook-token', namespace: NS },
        stringData: { token: 'rotated' },
      },
      { fieldManager: 'test', force: true },
    );
    const replay = await post(webhookPath('hook-secret', 'gh', NS), body, {
      'X-GitHub-Event': 'push',
      'X-Hub-Signature-256': sig('sha256', body),
    });
    expect(replay.status).toBe(404);
    const oldSig = await post(webhookPath('rotated', 'gh', NS), body, {
      'X-GitHub-Event': 'push',
      'X-Hub-Signature-256': sig('sha256', body),
    });
    expect(oldSig.status).toBe(400);
    expect(await requestedAt('app')).toBeUndefined();
  });
});
