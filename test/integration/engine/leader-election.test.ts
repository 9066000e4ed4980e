import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, describe, expect, inject, it } from 'vitest';

import { LeaderElector } from '../../../main/engine/leader-election.ts';
import { kubeLeaseStore } from '../../../main/engine/lease-store.ts';
import { type ClusterClient, openCluster } from '../../../main/kube/cluster-client.ts';
import { loadKubeconfig } from '../../../main/kube/kubeconfig.ts';
import { silentLogger } from '../../../main/util/logger.ts';

const cluster = inject('cluster');
const clients: ClusterClient[] = [];

async function client(): Promise<ClusterClient> {
  const { config } = await loadKubeconfig([cluster.kubeconfig]);
  const c = await openCluster(undefined, { kubeconfig: config });
  clients.push(c);
  return c;
}

afterAll(() => {
  for (const c of clients) c.close();
});

function elector(
  c: ClusterClient,
  identity: string,
  name: string,
): { e: LeaderElector; stop: AbortController; done: Promise<void> } {
  const stop = new AbortController();
  const e = new LeaderElector({
    store: kubeLeaseStore(c, 'kube-system', name),
    identity,
    leaseDurationMs: 3000,
    renewDeadlineMs: 2000,
    retryPeriodMs: 300,
    onStartedLeading: () => undefined,
    onStoppedLeading: () => undefined,
    logger: silentLogger,
  });
  return { e, stop, done: e.run(stop.signal) };
}

async function until(what: string, fn: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('leader election on a real Lease', () => {
  it('elects one of two instances and hands over on release', async () => {
    const a = elector(await client(), 'instance-a', 'fluxdeck-le-release');
    await until('a leads', () => a.e.isLeader);
    const b = elector(await client(), 'instance-b', 'fluxdeck-le-release');
    await sleep(1500);
    expect(b.e.isLeader).toBe(false);
    a.stop.abort();
    await a.done;
    await until('b takes over', () => b.e.isLeader, 3000);
    b.stop.abort();
    await b.done;
  });

  it('takes over after the lease duration when the leader stops renewing (killed)', async () => {
    const ca = await client();
    const a = elector(ca, 'instance-a', 'fluxdeck-le-kill');
    await until('a leads', () => a.e.isLeader);
    const b = elector(await client(), 'instance-b', 'fluxdeck-le-kill');
    await sleep(500);
    expect(b.e.isLeader).toBe(false);
    // Closing the client makes every renewal fail, and nothing is released: what a SIGKILL looks like from outside.
    ca.close();
    await until('b takes over', () => b.e.isLeader, 10_000);
    b.stop.abort();
    await b.done;
    a.stop.abort();
    await a.done;
  });
});
