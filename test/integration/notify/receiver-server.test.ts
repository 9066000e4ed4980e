import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { runCli } from '../../../main/cli/run.ts';
import { requestReconcile } from '../../../main/controllers/requests/flux-requests.ts';
import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import { FLUX_FINALIZER } from '../../../main/flux/meta.ts';
import type { Receiver, ReceiverSpec } from '../../../main/flux/notification.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { ReceiverServer } from '../../../main/notify/receiver-server.ts';
import { webhookPath } from '../../../main/notify/receiver-webhook.ts';
import { clientFor, ensureNamespace, eventually, gitRepository, installCrds } from '../../support/flux-fixture.ts';

// Receivers as real objects on the real control plane, reconciled by our Receiver controller (status.webhookPath,
// Ready as notification-controller writes them) and served by the receiver server: real signed requests annotate
// the selected GitRepositories with reconcile.fluxcd.io/requestedAt; refused requests annotate nothing.

const cluster = inject('cluster');
const NS = 'notify-receivers';
const GR = { apiVersion: fluxKinds.GitRepository.apiVersion, kind: 'GitRepository', namespace: NS };
const REQUESTED_AT = 'reconcile.fluxcd.io/requestedAt';

let client: ClusterClient;
let server: ReceiverServer;
let fluxdeck: Fluxdeck;
let dataDir: string;

const RECEIVER = { apiVersion: fluxKinds.Receiver.apiVersion, kind: 'Receiver', namespace: NS };
const getReceiver = (name: string): Promise<Receiver> => client.get<Receiver>({ ...RECEIVER, name });
const ready = (r: Receiver) => r.status?.conditions?.find((c) => c.type === 'Ready');
const putSecret = (name: string, data: Record<string, string>): Promise<unknown> =>
  client.apply(
    { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, stringData: data },
    { fieldManager: 'test', force: true },
  );
const reconcileReceiver = (name: string): ReturnType<typeof requestReconcile> =>
  requestReconcile(client, { kind: fluxKinds.Receiver, namespace: NS, name }, { timeoutMs: 30_000, pollMs: 100 });
/** Waits for the controller to have written the path the token gives (the server follows the status). */
const servedAt = (name: string, token = 'hook-secret'): Promise<Receiver> =>
  eventually(`Receiver ${name} ready`, async () => {
    const r = await getReceiver(name);
    return r.status?.webhookPath === webhookPath(token, name, NS) && ready(r)?.status === 'True' ? r : undefined;
  });

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
  await putSecret('hook-token', { token: 'hook-secret' });
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
  dataDir = await mkdtemp(join(tmpdir(), 'fluxdeck-receivers-'));
  fluxdeck = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir,
    watchKubeconfigs: false,
    identity: `receivers-test-${Date.now()}`,
    leaseDurationMs: 6000,
  });
  await fluxdeck.connect(cluster.name);
  await eventually('this instance to reconcile', () =>
    Promise.resolve(fluxdeck.registry.session(cluster.name)?.status.role === 'reconciling' ? true : undefined),
  );
  server = await fluxdeck.startReceiver('127.0.0.1:0');
  for (const name of ['gh', 'gl', 'hmac']) await servedAt(name);
}, 180_000);

afterAll(async () => {
  for (const name of ['app', 'team-a', 'team-b']) await client.delete({ ...GR, name }).catch(() => undefined);
  for (const name of ['gh', 'gl', 'hmac', 'keyless', 'rotating']) {
    await client.delete({ ...RECEIVER, name }).catch(() => undefined);
  }
  await fluxdeck.stop();
  client.close();
  await rm(dataDir, { recursive: true, force: true });
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

  it('the controller writes webhookPath, Ready, observedGeneration and the finalizer as notification-controller', async () => {
    const r = await servedAt('gh');
    const path = webhookPath('hook-secret', 'gh', NS);
    // Flux's formula, computed here independently: /hook/ + hex(sha256(token + name + namespace)).
    expect(path).toBe(
      `/hook/${createHash('sha256')
        .update(`hook-secret` + `gh` + NS)
        .digest('hex')}`,
    );
    expect(r.status?.webhookPath).toBe(path);
    expect(ready(r)).toMatchObject({
      status: 'True',
      reason: 'Succeeded',
      message: `Receiver initialized for path: ${path}`,
    });
    expect(r.status?.conditions?.some((c) => c.type === 'Reconciling')).toBe(false);
    expect(r.status?.observedGeneration).toBe(r.metadata.generation);
    expect(r.metadata.finalizers).toContain(FLUX_FINALIZER);
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
    const big = JSON.stringify({ pad: 'x'.repeat(3 * 1024 * 1024 + 1) });
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

  it('a Secret without the token key: Ready=False TokenNotFound, no path, hooks refused; fixed on reconcile', async () => {
    await putSecret('keyless-token', { token: 'k1' });
    await client.apply(receiver('keyless', { secretRef: { name: 'keyless-token' } }), {
      fieldManager: 'test',
      force: true,
    });
    await servedAt('keyless', 'k1');
    await client.patch(
      { apiVersion: 'v1', kind: 'Secret', namespace: NS, name: 'keyless-token' },
      { data: { token: null, other: Buffer.from('x').toString('base64') } },
      'merge',
    );
    // The path retires with the token at once, before the controller looks again (it does not watch Secrets).
    await clearAnnotations();
    expect((await post(webhookPath('k1', 'keyless', NS), body, {})).status).toBe(404);
    const result = await reconcileReceiver('keyless');
    expect(result.ready).toBe(false);
    expect(result.reason).toBe('TokenNotFound');
    expect(result.message).toBe(`invalid '${NS}/keyless-token' secret data: required fields 'token'`);
    const r = await getReceiver('keyless');
    expect(r.status?.webhookPath).toBeUndefined();
    expect(r.status?.conditions?.find((c) => c.type === 'Reconciling')?.reason).toBe('ProgressingWithRetry');

    await client.delete({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: 'keyless-token' });
    const gone = await reconcileReceiver('keyless');
    expect(gone.message).toBe(
      `unable to read token from secret '${NS}/keyless-token' error: secrets "keyless-token" not found`,
    );

    await putSecret('keyless-token', { token: 'k2' });
    const back = await reconcileReceiver('keyless');
    expect(back.ready).toBe(true);
    expect(back.message).toBe(`Receiver initialized for path: ${webhookPath('k2', 'keyless', NS)}`);
    expect((await post(webhookPath('k2', 'keyless', NS), body, {})).status).toBe(200);
    expect(await requestedAt('app')).toBeDefined();
  });

  it('after the secret changes, the old path is refused; the new one is served after a reconcile, old signatures refused', async () => {
    await putSecret('rotating-token', { token: 'hook-secret' });
    await client.apply(receiver('rotating', { type: 'github', secretRef: { name: 'rotating-token' } }), {
      fieldManager: 'test',
      force: true,
    });
    await servedAt('rotating');
    await clearAnnotations();
    await putSecret('rotating-token', { token: 'rotated' });
    const replay = await post(webhookPath('hook-secret', 'rotating', NS), body, {
      'X-GitHub-Event': 'push',
      'X-Hub-Signature-256': sig('sha256', body),
    });
    expect(replay.status).toBe(404);
    expect((await reconcileReceiver('rotating')).ready).toBe(true);
    const oldSig = await post(webhookPath('rotated', 'rotating', NS), body, {
      'X-GitHub-Event': 'push',
      'X-Hub-Signature-256': sig('sha256', body),
    });
    expect(oldSig.status).toBe(400);
    expect(await requestedAt('app')).toBeUndefined();
    const signed = await post(webhookPath('rotated', 'rotating', NS), body, {
      'X-GitHub-Event': 'push',
      'X-Hub-Signature-256': sig('sha256', body, 'rotated'),
    });
    expect(signed.status).toBe(200);
    expect(await requestedAt('app')).toBeDefined();
  });

  it('fluxdeck suspend/resume/reconcile receiver: a suspended Receiver serves nothing', async () => {
    const cli = async (...args: string[]): Promise<{ code: number; err: string }> => {
      let err = '';
      const code = await runCli([...args, '--kubeconfig', cluster.kubeconfig, '-n', NS], {
        out: () => undefined,
        err: (t) => (err += t),
        signal: new AbortController().signal,
      });
      return { code, err };
    };
    await clearAnnotations();
    expect((await cli('suspend', 'receiver', 'gl')).code).toBe(0);
    expect((await getReceiver('gl')).spec.suspend).toBe(true);
    const path = webhookPath('hook-secret', 'gl', NS);
    const headers = { 'X-Gitlab-Token': 'hook-secret', 'X-Gitlab-Event': 'Push Hook' };
    // The server reads Receivers from the engine's watch cache, as Flux's reads its informer cache, so it learns of
    // the suspension when the watch event arrives. A hook with a wrong token changes nothing either way (suspended:
    // 503, else refused), so it tells when the server has seen it.
    await eventually('the receiver server to see the suspension', async () => {
      const probe = await post(path, body, { ...headers, 'X-Gitlab-Token': 'not-the-secret' });
      return probe.status === 503 ? true : undefined;
    });
    expect((await post(path, body, headers)).status).toBe(503);
    expect(await requestedAt('app')).toBeUndefined();
    expect((await cli('resume', 'receiver', 'gl')).code).toBe(0);
    const reconciled = await cli('reconcile', 'receiver', 'gl');
    expect(reconciled.err).toContain(`Receiver initialized for path: ${path}`);
    expect(reconciled.code).toBe(0);
    expect((await post(path, body, headers)).status).toBe(200);
    expect(await requestedAt('app')).toBeDefined();
  });
});
