// `npm run bench -- notify [events]`: events through Flux Alerts to generic Providers on local sinks, end to end
// through the alert dispatcher (Flux event shape, rate limiter, Alert matching, request building, HTTP delivery, one
// queue per Provider). 20 Alerts over 20 GitRepositories, 5 Providers (4 Alerts each) posting to 5 sinks on
// 127.0.0.1; each event matches one Alert. Reference: a bare Node HTTP client posting the same bodies to the same
// sinks with the same concurrency (one queue per sink).
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import type { FluxEvent } from '../main/flux/events.ts';
import type { Alert, Provider } from '../main/flux/notification.ts';
import { startAlertDispatcher } from '../main/notify/index.ts';
import { toNotificationEvent } from '../main/notify/notification-event.ts';
import { eventBody } from '../main/notify/providers/provider-request.ts';
import { silentLogger } from '../main/util/logger.ts';
import { benchLine } from './report.ts';

const EVENTS = Number(process.argv[2] ?? 10_000);
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
console.log(
  benchLine(
    'notify',
    'throughput (events/s)',
    { value: rate(fd.ms), unit: '/s' },
    { name: 'node:http', value: rate(ref.ms), unit: '/s' },
  ),
);
