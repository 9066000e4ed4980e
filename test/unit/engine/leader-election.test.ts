import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { canAcquire, LeaderElector, type LeaseRecord, type LeaseStore } from '../../../main/engine/leader-election.ts';
import { silentLogger } from '../../../main/util/logger.ts';

/** A Lease in memory with the apiserver's optimistic concurrency (unit tests only; integration uses a real Lease). */
class MemoryLease implements LeaseStore {
  record: LeaseRecord | undefined;
  private rv = 0;
  get(): Promise<LeaseRecord | undefined> {
    return Promise.resolve(this.record && { ...this.record });
  }
  create(r: LeaseRecord): Promise<LeaseRecord> {
    if (this.record) return Promise.reject(new Error('AlreadyExists'));
    this.record = { ...r, resourceVersion: String(++this.rv) };
    return Promise.resolve({ ...this.record });
  }
  update(r: LeaseRecord): Promise<LeaseRecord> {
    if (r.resourceVersion !== this.record?.resourceVersion) return Promise.reject(new Error('Conflict'));
    this.record = { ...r, resourceVersion: String(++this.rv) };
    return Promise.resolve({ ...this.record });
  }
}

function candidate(
  store: LeaseStore,
  identity: string,
): { elector: LeaderElector; log: string[]; stop: AbortController } {
  const log: string[] = [];
  const elector = new LeaderElector({
    store,
    identity,
    leaseDurationMs: 6000,
    renewDeadlineMs: 4000,
    retryPeriodMs: 1000,
    onStartedLeading: () => log.push('start'),
    onStoppedLeading: () => log.push('stop'),
    logger: silentLogger,
  });
  return { elector, log, stop: new AbortController() };
}

async function tick(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

describe('LeaderElector', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('lets exactly one of two candidates lead, and hands over at once on a clean stop', async () => {
    const store = new MemoryLease();
    const a = candidate(store, 'a');
    const b = candidate(store, 'b');
    const ra = a.elector.run(a.stop.signal);
    await tick(10);
    const rb = b.elector.run(b.stop.signal);
    await tick(5000);
    expect([a.elector.isLeader, b.elector.isLeader]).toEqual([true, false]);
    a.stop.abort();
    await ra;
    expect(store.record?.holderIdentity).toBe('');
    await tick(1100);
    expect(b.elector.isLeader).toBe(true);
    expect(store.record?.leaseTransitions).toBe(1);
    b.stop.abort();
    await rb;
    expect(a.log).toEqual(['start', 'stop']);
    expect(b.log).toEqual(['start', 'stop']);
  });

  it('takes over after the lease duration when the leader dies without releasing', async () => {
    const store = new MemoryLease();
    const a = candidate(store, 'a');
    const b = candidate(store, 'b');
    a.elector.run(a.stop.signal).catch(() => undefined);
    await tick(10);
    const rb = b.elector.run(b.stop.signal);
    await tick(3000);
    // "kill -9": the leader's renewals stop, nothing is released.
    vi.spyOn(store, 'update').mockImplementation((r) =>
      r.holderIdentity === 'a' ? new Promise(() => undefined) : MemoryLease.prototype.update.call(store, r),
    );
    await tick(4000);
    expect(b.elector.isLeader).toBe(false);
    await tick(4000);
    expect(b.elector.isLeader).toBe(true);
    b.stop.abort();
    await rb;
  });

  it('stops leading when it cannot renew within the renew deadline', async () => {
    const store = new MemoryLease();
    const a = candidate(store, 'a');
    const run = a.elector.run(a.stop.signal);
    await tick(10);
    expect(a.elector.isLeader).toBe(true);
    vi.spyOn(store, 'get').mockRejectedValue(new Error('apiserver unreachable'));
    await tick(5500);
    expect(a.elector.isLeader).toBe(false);
    expect(a.log).toEqual(['start', 'stop']);
    a.stop.abort();
    await run;
  });
});

describe('canAcquire', () => {
  it.each<[string, LeaseRecord | undefined, number, boolean]>([
    ['no lease', undefined, 0, true],
    ['released lease', { holderIdentity: '' }, 0, true],
    ['own lease', { holderIdentity: 'me', leaseDurationSeconds: 15 }, 0, true],
    ['fresh foreign lease', { holderIdentity: 'other', leaseDurationSeconds: 15 }, 14_000, false],
    ['expired foreign lease', { holderIdentity: 'other', leaseDurationSeconds: 15 }, 15_001, true],
  ])('%s', (_n, record, elapsed, expected) => {
    expect(
      canAcquire(record, 'me', { observedAtMs: 1_000_000, nowMs: 1_000_000 + elapsed, leaseDurationMs: 15_000 }),
    ).toBe(expected);
  });
});
