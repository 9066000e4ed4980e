import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { runCli } from '../../../main/cli/run.ts';
import type { FluxEvent } from '../../../main/flux/events.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import { startAlertDispatcher, startObservedEventFeed } from '../../../main/notify/index.ts';
import { silentLogger } from '../../../main/util/logger.ts';
import { cliIO } from '../../support/cli-io.ts';
import { clientFor, ensureNamespace, eventually, gitRepository, installCrds } from '../../support/flux-fixture.ts';
import { type HttpSink, startHttpSink } from '../../support/http-sink.ts';

// Observe mode on the real control plane: Events written by a stand-in for Flux's source-controller reach the
// event stream (what the inbox and the tray read) and an Alert's sink; Events from anything else do not.

const cluster = inject('cluster');
const NS = 'notify-observed';

let client: ClusterClient;
let sink: HttpSink;
const published: FluxEvent[] = [];
let stop: () => void = () => undefined;

beforeAll(async () => {
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  sink = await startHttpSink();
  await client.apply(gitRepository(NS, 'observed', 'http://127.0.0.1:1/x.git', { suspend: true }), {
    fieldManager: 'test',
    force: true,
  });
  await client.apply(
    {
      apiVersion: fluxKinds.Provider.apiVersion,
      kind: 'Provider',
      metadata: { name: 'sink', namespace: NS },
      spec: { type: 'generic', address: `${sink.url}/events` },
    },
    { fieldManager: 'test', force: true },
  );
  await client.apply(
    {
      apiVersion: fluxKinds.Alert.apiVersion,
      kind: 'Alert',
      metadata: { name: 'all', namespace: NS },
      spec: {
        providerRef: { name: 'sink' },
        eventSeverity: 'error',
        eventSources: [{ kind: 'GitRepository', name: '*' }],
      },
    },
    { fieldManager: 'test', force: true },
  );
  const session = { context: cluster.name, client, status: { role: 'observing' } };
  // A second context of the same cluster (same API server), as a kubeconfig with two users has: its Events are the
  // same ones, and must not reach the stream twice.
  const sibling = { context: `${cluster.name}-zz-sibling`, client, status: { role: 'observing' } };
  const listeners: ((e: FluxEvent) => void)[] = [];
  const feed = startObservedEventFeed({
    sessions: () => [sibling, session],
    onChange: () => () => undefined,
    publish: (e) => {
      published.push(e);
      for (const l of listeners) l(e);
    },
    logger: silentLogger,
    retryMs: 200,
  });
  const dispatcher = startAlertDispatcher({
    events: { on: (_t, l) => (listeners.push(l), () => undefined) },
    session: () => ({ context: cluster.name, client }),
    logger: silentLogger,
  });
  stop = () => {
    feed.stop();
    dispatcher.stop();
  };
  // Let the feed list and start watching before the stand-in writes.
  await new Promise((r) => setTimeout(r, 1500));
}, 120_000);

afterAll(async () => {
  stop();
  await client
    .delete({ apiVersion: fluxKinds.GitRepository.apiVersion, kind: 'GitRepository', namespace: NS, name: 'observed' })
    .catch(() => undefined);
  await sink.close();
  client.close();
});

describe('Events from in-cluster Flux in observe mode', () => {
  it('reach the event stream and an Alert sink with their revision; other components are ignored', async () => {
    const repo = await client.get({
      apiVersion: fluxKinds.GitRepository.apiVersion,
      kind: 'GitRepository',
      namespace: NS,
      name: 'observed',
    });
    const message = `failed to checkout and determine revision: ${Date.now()}`;
    await client.createEvent(repo, {
      type: 'Warning',
      reason: 'GitOperationFailed',
      message,
      reportingController: 'source-controller',
      annotations: { 'source.toolkit.fluxcd.io/revision': 'main@sha1:abc' },
    });
    await client.createEvent(repo, {
      type: 'Warning',
      reason: 'Other',
      message: 'not flux',
      reportingController: 'someone-else',
    });
    const e = await eventually(
      'the observed event',
      () => Promise.resolve(published.find((p) => p.message === message)),
      30_000,
    );
    expect(e).toMatchObject({
      cluster: cluster.name,
      object: { kind: 'GitRepository', namespace: NS, name: 'observed' },
      type: 'Warning',
      reason: 'GitOperationFailed',
      controller: 'source-controller',
      revision: 'main@sha1:abc',
    });
    const r = await eventually(
      'the alert delivery',
      () => Promise.resolve(sink.requests.find((q) => q.body.includes(message))),
      30_000,
    );
    expect(JSON.parse(r.body)).toMatchObject({
      severity: 'error',
      reason: 'GitOperationFailed',
      metadata: { revision: 'main@sha1:abc' },
    });
    expect(published.some((p) => p.message === 'not flux')).toBe(false);
    // Followed through one of the cluster's two contexts: published once (by the time the alert went out, a second
    // feed would have published it too).
    expect(published.filter((p) => p.message === message)).toHaveLength(1);
  });

  it('fluxdeck events --for lists them; get alerts and alert-providers list the objects', async () => {
    const flags = ['--kubeconfig', cluster.kubeconfig, '--context', cluster.name, '-n', NS];
    const events = cliIO();
    expect(await runCli(['events', '--for', 'GitRepository/observed', ...flags], events.io)).toBe(0);
    expect(events.out()).toMatch(/LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE/);
    expect(events.out()).toMatch(/Warning\s+GitOperationFailed\s+GitRepository\/observed\s+failed to checkout/);
    // Events of other components about the object are Flux-object events too, as `flux events` shows them.
    expect(events.out()).toMatch(/Other\s+GitRepository\/observed/);
    const none = cliIO();
    expect(await runCli(['events', '--for', 'Kustomization/nothing', ...flags], none.io)).toBe(0);
    expect(none.err()).toMatch(/no events found/);
    const alerts = cliIO();
    expect(await runCli(['get', 'alerts', ...flags], alerts.io)).toBe(0);
    expect(alerts.out()).toMatch(/all\s+false\s+-\s+configuration \(no status\)/);
    const providers = cliIO();
    expect(await runCli(['get', 'alert-providers', ...flags], providers.io)).toBe(0);
    expect(providers.out()).toMatch(/^sink\s/m);
  });
});
