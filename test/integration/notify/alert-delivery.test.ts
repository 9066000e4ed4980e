import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { requestReconcile } from '../../../main/controllers/requests/flux-requests.ts';
import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { Alert, Provider, ProviderSpec, Receiver } from '../../../main/flux/notification.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import { webhookPath } from '../../../main/notify/index.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { clientFor, ensureNamespace, eventually, gitRepository, installCrds } from '../../support/flux-fixture.ts';
import { commitFiles, type GitServer, startGitServer } from '../../support/git-server.ts';
import { type HttpSink, type SinkRequest, startHttpSink } from '../../support/http-sink.ts';

// Alerts and Providers as real objects on the real control plane; events from a real GitRepository reconcile by
// our controller; each provider family posting to a recording sink on 127.0.0.1.

const cluster = inject('cluster');
const NS = 'notify-alerts';
const REPO = 'alerts-repo';

let git: GitServer;
let bare: string;
let client: ClusterClient;
let fluxdeck: Fluxdeck;
let dataDir: string;
const sinks: Record<string, HttpSink> = {};

const provider = (name: string, spec: ProviderSpec): Provider => ({
  apiVersion: fluxKinds.Provider.apiVersion,
  kind: 'Provider',
  metadata: { name, namespace: NS },
  spec,
});

const alert = (name: string, providerName: string, spec: Partial<Alert['spec']> = {}): Alert => ({
  apiVersion: fluxKinds.Alert.apiVersion,
  kind: 'Alert',
  metadata: { name, namespace: NS },
  spec: { providerRef: { name: providerName }, eventSources: [{ kind: 'GitRepository', name: '*' }], ...spec },
});

const secret = (name: string, data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: NS },
  stringData: data,
});

const reconcileRepo = (): ReturnType<typeof requestReconcile> =>
  requestReconcile(
    client,
    { kind: fluxKinds.GitRepository, namespace: NS, name: REPO },
    { timeoutMs: 60_000, pollMs: 200 },
  );

const newArtifactRequest = (sink: HttpSink, sha: string): Promise<SinkRequest> =>
  eventually(
    `a request for ${sha} at ${sink.url}`,
    () => Promise.resolve(sink.requests.find((r) => r.body.includes(sha))),
    60_000,
    () => Promise.resolve(JSON.stringify(sink.requests.map((r) => [r.path, r.body.slice(0, 200)]))),
  );

let sha = '';

beforeAll(async () => {
  for (const name of ['hmac', 'slack', 'github', 'flaky', 'excluded']) sinks[name] = await startHttpSink();
  git = await startGitServer();
  const url = await git.createRepo(REPO);
  bare = git.repoPath(REPO);
  sha = await commitFiles(bare, { 'README.md': 'one\n' }, { message: 'first' });
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  dataDir = await mkdtemp(join(tmpdir(), 'fluxdeck-alerts-'));
  await client.apply(secret('hmac-token', { token: 'hmac-key', headers: 'X-Team: platform\n' }), {
    fieldManager: 'test',
    force: true,
  });
  await client.apply(secret('github-token', { token: 'ghp-secret' }), { fieldManager: 'test', force: true });
  const objects = [
    provider('hmac', { type: 'generic-hmac', address: `${sinks.hmac?.url}/hook`, secretRef: { name: 'hmac-token' } }),
    provider('slack', { type: 'slack', address: `${sinks.slack?.url}/services/T/B/X`, channel: '#ops' }),
    provider('github', {
      type: 'github',
      address: `${sinks.github?.url}/org/app`,
      secretRef: { name: 'github-token' },
    }),
    provider('flaky', { type: 'generic', address: `${sinks.flaky?.url}/flaky`, timeout: '20s' }),
    provider('excluded', { type: 'generic', address: `${sinks.excluded?.url}/x` }),
    alert('hmac', 'hmac', { eventMetadata: { env: 'test' } }),
    alert('slack', 'slack'),
    alert('github', 'github'),
    alert('flaky', 'flaky'),
    alert('excluded', 'excluded', { exclusionList: ['stored artifact'] }),
  ];
  for (const o of objects) await client.apply(o, { fieldManager: 'test', force: true });
  // The flaky sink fails twice before it recovers.
  if (sinks.flaky) sinks.flaky.answer = (_r, n) => (n <= 2 ? 500 : 200);
  fluxdeck = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir,
    watchKubeconfigs: false,
    identity: `alerts-test-${Date.now()}`,
    leaseDurationMs: 6000,
    alerts: { delivery: { backoffMs: 50, maxBackoffMs: 200 } },
  });
  await fluxdeck.connect(cluster.name);
  await eventually('this instance to reconcile', () =>
    Promise.resolve(fluxdeck.registry.session(cluster.name)?.status.role === 'reconciling' ? true : undefined),
  );
  await client.apply(gitRepository(NS, REPO, url, { interval: '10m' }), { fieldManager: 'test', force: true });
}, 300_000);

afterAll(async () => {
  await client
    .delete({ apiVersion: fluxKinds.GitRepository.apiVersion, kind: 'GitRepository', namespace: NS, name: REPO })
    .catch(() => undefined);
  await fluxdeck.stop();
  client.close();
  await git.close();
  for (const s of Object.values(sinks)) await s.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(git.root, { recursive: true, force: true });
});

describe('Alerts and Providers on the real engine', () => {
  it('generic-hmac: the Flux event JSON, signed with the Secret token, with the Secret headers', async () => {
    const r = await newArtifactRequest(sinks.hmac as HttpSink, sha);
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/hook');
    expect(r.headers['x-signature']).toBe(`sha256=${createHmac('sha256', 'hmac-key').update(r.body).digest('hex')}`);
    expect(r.headers['gotk-component']).toBe('source-controller');
    expect(r.headers['x-team']).toBe('platform');
    const body = JSON.parse(r.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      involvedObject: {
        kind: 'GitRepository',
        namespace: NS,
        name: REPO,
        apiVersion: fluxKinds.GitRepository.apiVersion,
      },
      severity: 'info',
      reason: 'NewArtifact',
      reportingController: 'source-controller',
      metadata: { env: 'test', revision: `main@sha1:${sha}` },
    });
    expect(body.message).toMatch(/stored artifact/);
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('slack: an attachment to the webhook path', async () => {
    const r = await eventually('a slack post', () => Promise.resolve(sinks.slack?.requests[0]), 60_000);
    expect(r.path).toBe('/services/T/B/X');
    expect(JSON.parse(r.body)).toMatchObject({
      channel: '#ops',
      username: 'source-controller',
      attachments: [{ color: 'good', author_name: `gitrepository/${REPO}.${NS}` }],
    });
  });

  it('github: a commit status on the reconciled commit with the Provider-derived context', async () => {
    const r = await eventually('a status', () => Promise.resolve(sinks.github?.requests[0]), 60_000);
    const p = await client.get<Provider>({
      apiVersion: fluxKinds.Provider.apiVersion,
      kind: 'Provider',
      namespace: NS,
      name: 'github',
    });
    expect(r.path).toBe(`/api/v3/repos/org/app/statuses/${sha}`);
    expect(r.headers.authorization).toBe('Bearer ghp-secret');
    expect(JSON.parse(r.body)).toEqual({
      state: 'success',
      description: 'new artifact',
      context: `gitrepository/${REPO}/${(p.metadata.uid ?? '').split('-')[0] ?? ''}`,
    });
  });

  it('a sink that fails twice gets the event once after recovery, and the delivery log says so', async () => {
    await eventually(
      'the flaky delivery',
      () => Promise.resolve(fluxdeck.alerts.deliveries(cluster.name, NS, 'flaky').find((d) => d.ok)),
      60_000,
    );
    const flaky = sinks.flaky as HttpSink;
    const carrying = flaky.requests.filter((r) => r.body.includes(sha));
    expect(carrying.length).toBe(3);
    const log = fluxdeck.alerts.deliveries(cluster.name, NS, 'flaky');
    expect(log.at(-1)).toMatchObject({
      ok: true,
      status: 200,
      attempts: 3,
      event: { kind: 'GitRepository', reason: 'NewArtifact' },
    });
  });

  it('the exclusion list keeps an event away; a second reconcile of the same revision sends nothing new', async () => {
    const before = sinks.hmac?.requests.length ?? 0;
    await reconcileRepo();
    await fluxdeck.alerts.idle();
    expect(sinks.excluded?.requests).toEqual([]);
    // No new revision, no NewArtifact event: and a repeated identical event would be rate limited.
    expect(sinks.hmac?.requests.length).toBe(before);
  });

  it('a signed hook to the engine receiver server leads to a reconcile of the selected repository', async () => {
    await client.apply(
      {
        apiVersion: fluxKinds.Receiver.apiVersion,
        kind: 'Receiver',
        metadata: { name: 'repo-hook', namespace: NS },
        spec: {
          type: 'generic-hmac',
          secretRef: { name: 'hmac-token' },
          resources: [{ kind: 'GitRepository', name: REPO }],
        },
      },
      { fieldManager: 'test', force: true },
    );
    // The server serves the path the Receiver controller wrote.
    await eventually('the Receiver path', async () => {
      const r = await client.get<Receiver>({
        apiVersion: fluxKinds.Receiver.apiVersion,
        kind: 'Receiver',
        namespace: NS,
        name: 'repo-hook',
      });
      return r.status?.webhookPath === webhookPath('hmac-key', 'repo-hook', NS) ? true : undefined;
    });
    const receiver = await fluxdeck.startReceiver('127.0.0.1:0');
    const payload = '{"hello":"flux"}';
    const res = await fetch(`${receiver.url}${webhookPath('hmac-key', 'repo-hook', NS)}`, {
      method: 'POST',
      body: payload,
      headers: { 'X-Signature': `sha256=${createHmac('sha256', 'hmac-key').update(payload).digest('hex')}` },
    });
    expect(res.status).toBe(200);
    const key = { apiVersion: fluxKinds.GitRepository.apiVersion, kind: 'GitRepository', namespace: NS, name: REPO };
    const requested = (await client.get(key)).metadata.annotations?.['reconcile.fluxcd.io/requestedAt'];
    expect(requested).toMatch(/ UTC m=\+/);
    await eventually(
      'the reconcile to handle the request',
      async () => {
        const o = await client.get<KubeObject & { status?: { lastHandledReconcileAt?: string } }>(key);
        return o.status?.lastHandledReconcileAt === requested ? true : undefined;
      },
      60_000,
    );
  });

  it('a new commit reaches the sinks with its revision', async () => {
    const next = await commitFiles(bare, { 'README.md': 'two\n' }, { message: 'second' });
    await reconcileRepo();
    const r = await newArtifactRequest(sinks.hmac as HttpSink, next);
    expect(JSON.parse(r.body)).toMatchObject({ metadata: { revision: `main@sha1:${next}` } });
  });
});
