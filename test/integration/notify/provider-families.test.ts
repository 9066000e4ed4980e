import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import type { FluxEvent } from '../../../main/flux/events.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { Alert, Provider, ProviderSpec } from '../../../main/flux/notification.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import { type AlertDispatcher, startAlertDispatcher } from '../../../main/notify/alert-dispatcher.ts';
import { silentLogger } from '../../../main/util/logger.ts';
import { type RecordingProxy, startConnectProxy } from '../../support/connect-proxy.ts';
import { clientFor, ensureNamespace, eventually, installCrds } from '../../support/flux-fixture.ts';
import { type HttpSink, type SinkRequest, startHttpSink } from '../../support/http-sink.ts';

// The chat, incident and commit-status Provider families with their real objects on the real control plane
// (Providers, Alerts, Secrets read by the dispatcher), each delivering over HTTP to a recording sink on 127.0.0.1.

const cluster = inject('cluster');
const NS = 'notify-families';
const SHA = '89abcdef0123456789abcdef0123456789abcdef';

let client: ClusterClient;
let dispatcher: AlertDispatcher;
let proxy: RecordingProxy;
const sinks: Record<'chat' | 'incident' | 'git', HttpSink> = {} as never;

const apply = (o: object): Promise<unknown> => client.apply(o as never, { fieldManager: 'test', force: true });

const provider = (name: string, spec: ProviderSpec): Provider => ({
  apiVersion: fluxKinds.Provider.apiVersion,
  kind: 'Provider',
  metadata: { name, namespace: NS },
  spec,
});

const alert = (name: string): Alert => ({
  apiVersion: fluxKinds.Alert.apiVersion,
  kind: 'Alert',
  metadata: { name, namespace: NS },
  spec: { providerRef: { name }, eventSources: [{ kind: 'GitRepository', name: '*' }] },
});

const fluxEvent = (type: 'Normal' | 'Warning', message: string): FluxEvent => ({
  cluster: cluster.name,
  object: {
    apiVersion: fluxKinds.GitRepository.apiVersion,
    kind: 'GitRepository',
    namespace: NS,
    name: 'app',
    uid: 'c0ffee-1',
  },
  type,
  reason: type === 'Warning' ? 'GitOperationFailed' : 'NewArtifact',
  message,
  revision: `main@sha1:${SHA}`,
  controller: 'source-controller',
  timestamp: new Date().toISOString(),
});

const requestTo = (sink: HttpSink, path: string | RegExp): Promise<SinkRequest> =>
  eventually(`a request to ${String(path)}`, () =>
    Promise.resolve(sink.requests.find((r) => (typeof path === 'string' ? r.path === path : path.test(r.path)))),
  );

beforeAll(async () => {
  sinks.chat = await startHttpSink();
  sinks.incident = await startHttpSink();
  sinks.git = await startHttpSink();
  proxy = await startConnectProxy({ username: 'px', password: 'pw' });
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  await apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'tok', namespace: NS },
    stringData: { token: 's3cr3t' },
  });
  await apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'sentry', namespace: NS },
    stringData: { address: `http://pub@127.0.0.1:${new URL(sinks.incident.url).port}/7` },
  });
  await apply({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'proxy', namespace: NS },
    stringData: { address: proxy.url, username: 'px', password: 'pw' },
  });
  const chat = sinks.chat.url;
  const inc = sinks.incident.url;
  const git = sinks.git.url;
  const withToken = { secretRef: { name: 'tok' } };
  const providers = [
    provider('msteams', { type: 'msteams', address: `${chat}/teams` }),
    provider('googlechat', { type: 'googlechat', address: `${chat}/gchat` }),
    provider('webex', { type: 'webex', address: `${chat}/webex`, channel: 'room', ...withToken }),
    provider('lark', { type: 'lark', address: `${chat}/lark` }),
    provider('matrix', { type: 'matrix', address: chat, channel: 'room1', ...withToken }),
    provider('alertmanager', { type: 'alertmanager', address: `${inc}/am` }),
    provider('grafana', { type: 'grafana', address: `${inc}/grafana`, ...withToken }),
    provider('opsgenie', { type: 'opsgenie', address: `${inc}/og`, ...withToken }),
    provider('pagerduty', { type: 'pagerduty', address: inc, channel: 'routing-key' }),
    provider('datadog', { type: 'datadog', address: inc, ...withToken }),
    provider('sentry', { type: 'sentry', secretRef: { name: 'sentry' } }),
    provider('bitbucketserver', { type: 'bitbucketserver', address: `${git}/scm/PRJ/app.git`, ...withToken }),
    provider('proxied', { type: 'generic', address: `${chat}/proxied`, proxySecretRef: { name: 'proxy' } }),
    provider('azuredevops', { type: 'azuredevops', address: `${git}/org/proj/_git/app`, ...withToken }),
  ];
  for (const p of providers) {
    await apply(p);
    await apply(alert(p.metadata.name ?? ''));
  }
  dispatcher = startAlertDispatcher({
    events: { on: () => () => undefined },
    session: (context) => (context === cluster.name ? { context, client } : undefined),
    logger: silentLogger,
    delivery: { backoffMs: 50, maxBackoffMs: 200 },
  });
  await dispatcher.dispatch(fluxEvent('Warning', 'clone failed'));
  await dispatcher.idle();
}, 120_000);

afterAll(async () => {
  dispatcher.stop();
  await proxy.close();
  client.close();
  for (const s of Object.values(sinks)) await s.close();
});

describe('Provider families deliver over HTTP', () => {
  it('chat: Teams card, Google Chat card, Webex markdown with the token, Lark card, Matrix PUT', async () => {
    const teams = await requestTo(sinks.chat, '/teams');
    expect(teams.method).toBe('POST');
    expect(teams.headers['content-type']).toBe('application/json');
    expect(JSON.parse(teams.body)).toMatchObject({
      type: 'message',
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive' }],
    });
    expect(JSON.parse((await requestTo(sinks.chat, '/gchat')).body)).toMatchObject({
      cards: [{ header: { title: 'gitrepository/app.notify-families', subtitle: 'source-controller' } }],
    });
    const webex = await requestTo(sinks.chat, '/webex');
    expect(webex.headers.authorization).toBe('Bearer s3cr3t');
    expect(JSON.parse(webex.body)).toMatchObject({ roomId: 'room' });
    expect(JSON.parse((await requestTo(sinks.chat, '/lark')).body)).toMatchObject({ msg_type: 'interactive' });
    const matrix = await requestTo(
      sinks.chat,
      /^\/_matrix\/client\/r0\/rooms\/room1\/send\/m\.room\.message\/[0-9a-f]{40}$/,
    );
    expect(matrix.method).toBe('PUT');
    expect(matrix.headers.authorization).toBe('Bearer s3cr3t');
  });

  it('incidents: Alertmanager, Grafana, Opsgenie, PagerDuty trigger, Datadog, Sentry envelope', async () => {
    const am = JSON.parse((await requestTo(sinks.incident, '/am')).body) as { labels: Record<string, string> }[];
    expect(am[0]?.labels).toMatchObject({ alertname: 'FluxGitRepositoryGitOperationFailed', severity: 'error' });
    expect((await requestTo(sinks.incident, '/grafana')).headers.authorization).toBe('Bearer s3cr3t');
    expect((await requestTo(sinks.incident, '/og')).headers.authorization).toBe('GenieKey s3cr3t');
    expect(JSON.parse((await requestTo(sinks.incident, '/v2/enqueue')).body)).toMatchObject({
      routing_key: 'routing-key',
      event_action: 'trigger',
      dedup_key: 'c0ffee-1',
    });
    const dd = await requestTo(sinks.incident, '/api/v1/events');
    expect(dd.headers['dd-api-key']).toBe('s3cr3t');
    const sentry = await requestTo(sinks.incident, '/api/7/envelope/');
    expect(sentry.headers['x-sentry-auth']).toContain('sentry_key=pub');
    expect(sentry.headers['content-type']).toBe('application/x-sentry-envelope');
  });

  it('commit statuses: Bitbucket Server build and Azure DevOps status for the revision commit', async () => {
    const bb = await requestTo(sinks.git, `/rest/api/latest/projects/PRJ/repos/app/commits/${SHA}/builds`);
    expect(bb.headers.authorization).toBe('Bearer s3cr3t');
    expect(JSON.parse(bb.body)).toMatchObject({ state: 'FAILED', name: 'gitrepository/app [git operation failed]' });
    const az = await requestTo(
      sinks.git,
      `/org/proj/_apis/git/repositories/app/commits/${SHA}/statuses?api-version=6.0`,
    );
    expect(JSON.parse(az.body)).toMatchObject({ state: 'error', context: { genre: 'fluxcd' } });
    expect(dispatcher.deliveries(cluster.name, NS, 'azuredevops').at(-1)).toMatchObject({ ok: true, status: 200 });
  });

  it('proxySecretRef: the delivery goes through the proxy with its credentials', async () => {
    const r = await requestTo(sinks.chat, '/proxied');
    expect(r.headers['proxy-authorization']).toBeUndefined();
    expect(proxy.uses).toContainEqual({
      method: 'POST',
      target: `${sinks.chat.url}/proxied`,
      authorization: `Basic ${Buffer.from('px:pw').toString('base64')}`,
    });
  });

  it('PagerDuty: an info event resolves, then sends the change event', async () => {
    await dispatcher.dispatch(fluxEvent('Normal', 'stored artifact'));
    await dispatcher.idle();
    const change = await requestTo(sinks.incident, '/v2/change/enqueue');
    expect(JSON.parse(change.body)).toMatchObject({
      routing_key: 'routing-key',
      payload: { source: 'Flux source-controller' },
    });
    const resolves = sinks.incident.requests.filter((r) => r.path === '/v2/enqueue' && r.body.includes('"resolve"'));
    expect(resolves).toHaveLength(1);
    expect(dispatcher.deliveries(cluster.name, NS, 'pagerduty').at(-1)).toMatchObject({ ok: true, attempts: 2 });
  });
});
