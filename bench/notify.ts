// `npm run bench -- notify [events] [--hooks N] [--no-receiver]`: events through Flux Alerts to generic Providers on
// local sinks, end to end
// through the alert dispatcher (Flux event shape, rate limiter, Alert matching, request building, HTTP delivery, one
// queue per Provider). 20 Alerts over 20 GitRepositories, 5 Providers (4 Alerts each) posting to 5 sinks on
// 127.0.0.1; each event matches one Alert. Reference: a bare Node HTTP client posting the same bodies to the same
// sinks with the same concurrency (one queue per sink).
// Receiver half (on a real local control plane): signed GitHub hooks to the receiver server, timed from the request
// until its answer, which comes once `reconcile.fluxcd.io/requestedAt` is written on the selected GitRepository
// (the apiserver accepted the patch). References measured in the same run on the same object: a bare merge PATCH
// of the annotation with the same client (the floor), and `kubectl annotate --overwrite` (what a person would do).
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';

import { createFluxdeck } from '../main/create-fluxdeck.ts';
import type { FluxEvent } from '../main/flux/events.ts';
import { fluxKinds } from '../main/flux/kinds.ts';
import type { Alert, Provider, Receiver } from '../main/flux/notification.ts';
import { startAlertDispatcher } from '../main/notify/index.ts';
import { toNotificationEvent } from '../main/notify/notification-event.ts';
import { eventBody } from '../main/notify/providers/provider-request.ts';
import { silentLogger } from '../main/util/logger.ts';
import { startCluster } from '../test/cluster/control-plane.ts';
import { clientFor, ensureNamespace, eventually, gitRepository, installCrds } from '../test/support/flux-fixture.ts';
import { benchLine } from './report.ts';

const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const EVENTS = Number(process.argv[2]?.startsWith('--') ? 10_000 : (process.argv[2] ?? 10_000));
const HOOKS = Number(flag('--hooks') ?? 300);
const KUBECTL_RUNS = 30;
const exec = promisify(execFile);
const SINKS = 5;
const ALERTS = 20;
const NS = 'bench';

const servers: Server[] = [];
async function sink(): Promise<string> {
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}/events`;
}

const p99 = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length * 0.99)] ?? 0;

const event = (i: number): FluxEvent => ({
  cluster: 'bench',
  object: {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    namespace: NS,
    name: `repo-${i % ALERTS}`,
  },
  type: i % 10 === 0 ? 'Warning' : 'Normal',
  reason: `R${i}`,
  message: `stored artifact for commit 'change ${i}'`,
  revision: `main@sha1:${i.toString(16).padStart(40, '0')}`,
  controller: 'source-controller',
  timestamp: new Date().toISOString(),
});

async function fluxdeckRun(urls: string[]): Promise<{ ms: number; latencyP99: number; lagP99: number }> {
  const providers: Provider[] = urls.map((address, i) => ({
    apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
    kind: 'Provider',
    metadata: { name: `p${i}`, namespace: NS },
    spec: { type: 'generic', address },
  }));
  const alerts: Alert[] = Array.from({ length: ALERTS }, (_, i) => ({
    apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
    kind: 'Alert',
    metadata: { name: `a${i}`, namespace: NS },
    spec: { providerRef: { name: `p${i % SINKS}` }, eventSources: [{ kind: 'GitRepository', name: `repo-${i}` }] },
  }));
  const client = {
    list: (type: { kind: string }) =>
      Promise.resolve({ items: type.kind === 'Alert' ? alerts : providers, metadata: {} }),
    tryGet: () => Promise.resolve(undefined),
    createEvent: () => Promise.resolve(),
  };
  const dispatcher = startAlertDispatcher({
    events: { on: () => () => undefined },
    session: () => ({ context: 'bench', client: client as never }),
    logger: silentLogger,
    configTtlMs: 60_000,
  });
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  dispatcher.onDelivery((d) => {
    const t0 = sent.get(d.event.reason);
    if (t0 !== undefined && d.ok) latencies.push(performance.now() - t0);
  });
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const start = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    sent.set(`R${i}`, performance.now());
    await dispatcher.dispatch(event(i));
  }
  await dispatcher.idle();
  const ms = performance.now() - start;
  lag.disable();
  dispatcher.stop();
  if (latencies.length !== EVENTS) throw new Error(`delivered ${latencies.length} of ${EVENTS}`);
  return { ms, latencyP99: p99(latencies), lagP99: lag.percentile(99) / 1e6 };
}

function post(url: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const r = request(
      url,
      { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve());
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}

async function referenceRun(urls: string[]): Promise<{ ms: number; latencyP99: number }> {
  const queues = urls.map(() => Promise.resolve());
  const latencies: number[] = [];
  const start = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    const q = (i % ALERTS) % SINKS;
    const body = eventBody(toNotificationEvent(event(i)));
    const t0 = performance.now();
    queues[q] = (queues[q] ?? Promise.resolve()).then(async () => {
      await post(urls[q] ?? '', body);
      latencies.push(performance.now() - t0);
    });
    // Same hand-over as the dispatcher: one event at a time from the loop.
    await Promise.resolve();
  }
  await Promise.all(queues);
  return { ms: performance.now() - start, latencyP99: p99(latencies) };
}

interface ReceiverFigures {
  hookP99: number;
  hookP50: number;
  patchP99: number;
  kubectlP99: number;
}

/** Signed hooks → annotation written, on a real control plane, against a bare PATCH and kubectl annotate. */
async function receiverRun(): Promise<ReceiverFigures> {
  const work = await mkdtemp(join(tmpdir(), 'fluxdeck-bench-receiver-'));
  const cluster = await startCluster({
    name: 'bench-receiver',
    dir: join(work, 'cluster'),
    tier: 'api',
    ownerPid: process.pid,
  });
  const client = await clientFor(cluster.kubeconfig);
  const fluxdeck = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir: join(work, 'data'),
    watchKubeconfigs: false,
    identity: 'bench-receiver',
  });
  try {
    await installCrds(client);
    await ensureNamespace(client, NS);
    // Suspended: the annotation is what is measured, not a fetch from a git server that is not there.
    await client.apply(gitRepository(NS, 'app', 'http://127.0.0.1:1/none.git', { suspend: true }), {
      fieldManager: 'bench',
      force: true,
    });
    await client.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'hook', namespace: NS },
        stringData: { token: 'bench-secret' },
      },
      { fieldManager: 'bench', force: true },
    );
    const receiver: Receiver = {
      apiVersion: fluxKinds.Receiver.apiVersion,
      kind: 'Receiver',
      metadata: { name: 'gh', namespace: NS },
      spec: {
        type: 'github',
        events: ['push'],
        secretRef: { name: 'hook' },
        resources: [{ kind: 'GitRepository', name: 'app' }],
      },
    };
    await client.apply(receiver, { fieldManager: 'bench', force: true });
    await fluxdeck.connect(cluster.name);
    const path = await eventually('the Receiver webhook path', async () => {
      const r = await client.get<Receiver>({ ...RECEIVER_KEY, name: 'gh' });
      return r.status?.webhookPath;
    });
    const server = await fluxdeck.startReceiver('127.0.0.1:0');
    const hook = `${server.url}${path}`;
    const key = { apiVersion: fluxKinds.GitRepository.apiVersion, kind: 'GitRepository', namespace: NS, name: 'app' };
    const hooks: number[] = [];
    for (let i = 0; i < HOOKS + 10; i++) {
      const body = JSON.stringify({ ref: 'refs/heads/main', after: i.toString(16).padStart(40, '0') });
      const signature = `sha256=${createHmac('sha256', 'bench-secret').update(body).digest('hex')}`;
      const t0 = performance.now();
      const res = await fetch(hook, {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'application/json', 'X-GitHub-Event': 'push', 'X-Hub-Signature-256': signature },
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`hook ${i} answered ${res.status}: ${text}`);
      // The first few warm the connection pools on both sides.
      if (i >= 10) hooks.push(performance.now() - t0);
    }
    const annotated = (await client.get(key)).metadata.annotations?.['reconcile.fluxcd.io/requestedAt'];
    if (!annotated?.includes(' UTC m=+')) throw new Error(`the hooks did not annotate the GitRepository: ${annotated}`);
    const patches: number[] = [];
    for (let i = 0; i < HOOKS + 10; i++) {
      const t0 = performance.now();
      await client.patch(
        key,
        { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': `patch-${i}` } } },
        'merge',
        {
          fieldManager: 'bench',
        },
      );
      if (i >= 10) patches.push(performance.now() - t0);
    }
    const kubectl: number[] = [];
    for (let i = 0; i < KUBECTL_RUNS; i++) {
      const t0 = performance.now();
      await exec('kubectl', [
        '--kubeconfig',
        cluster.kubeconfig,
        '-n',
        NS,
        'annotate',
        '--overwrite',
        '--field-manager=flux-client-side-apply',
        'gitrepository/app',
        `reconcile.fluxcd.io/requestedAt=kubectl-${i}`,
      ]);
      kubectl.push(performance.now() - t0);
    }
    const p50 = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 0;
    return { hookP99: p99(hooks), hookP50: p50(hooks), patchP99: p99(patches), kubectlP99: p99(kubectl) };
  } finally {
    await fluxdeck.stop();
    client.close();
    await cluster.stop();
    await rm(work, { recursive: true, force: true });
  }
}

const RECEIVER_KEY = { apiVersion: fluxKinds.Receiver.apiVersion, kind: 'Receiver', namespace: NS };

const urls = await Promise.all(Array.from({ length: SINKS }, () => sink()));
const ref = await referenceRun(urls);
const fd = await fluxdeckRun(urls);
for (const s of servers) s.close();
const rate = (ms: number): number => EVENTS / (ms / 1000);
console.log(`notify: ${EVENTS} events, ${ALERTS} Alerts, ${SINKS} generic sinks`);
console.log(
  `  fluxdeck:  ${rate(fd.ms).toFixed(0)} events/s, p99 delivery latency ${fd.latencyP99.toFixed(1)} ms, event-loop lag p99 ${fd.lagP99.toFixed(1)} ms`,
);
console.log(
  `  reference: ${rate(ref.ms).toFixed(0)} events/s, p99 delivery latency ${ref.latencyP99.toFixed(1)} ms (bare node:http client)`,
);
if (!process.argv.includes('--no-receiver')) {
  const r = await receiverRun();
  console.log(
    `notify receiver: ${HOOKS} signed GitHub hooks → reconcile.fluxcd.io/requestedAt written (real control plane)`,
  );
  console.log(`  fluxdeck:  p50 ${r.hookP50.toFixed(1)} ms, p99 ${r.hookP99.toFixed(1)} ms (target p99 < 100 ms)`);
  console.log(
    `  reference: bare merge PATCH p99 ${r.patchP99.toFixed(1)} ms; kubectl annotate p99 ${r.kubectlP99.toFixed(1)} ms`,
  );
  console.log(
    benchLine(
      'notify-receiver',
      'hook → annotation p99',
      { value: r.hookP99, unit: 'ms' },
      { name: 'kubectl annotate', value: r.kubectlP99, unit: 'ms' },
    ),
  );
}
console.log(
  benchLine(
    'notify',
    'throughput (events/s)',
    { value: rate(fd.ms), unit: '/s' },
    { name: 'node:http', value: rate(ref.ms), unit: '/s' },
  ),
);
