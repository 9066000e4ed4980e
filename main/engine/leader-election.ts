import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { sleep } from '../util/sleep.ts';

/**
 * Leader election over a `coordination.k8s.io/v1` Lease, following client-go's leaderelection package, so two
 * Fluxdeck instances (or Fluxdeck and anything else using the same lease) never reconcile one cluster at once:
 *
 * - a candidate takes the lease when it is free, released, or not renewed for `leaseDuration` as observed on the
 *   candidate's own clock (client-go does not trust the holder's timestamps: clocks differ between machines);
 * - the leader renews every `retryPeriod`; if it cannot renew within `renewDeadline` it stops leading;
 * - on a clean stop the leader releases the lease so a standby takes over at once instead of after the duration.
 */

/** The fields of a Lease's spec that election uses, plus the resourceVersion for optimistic concurrency. */
export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  resourceVersion?: string;
}

/** Storage of one Lease object. `update` must fail when `resourceVersion` is stale (HTTP 409). */
export interface LeaseStore {
  get(): Promise<LeaseRecord | undefined>;
  create(record: LeaseRecord): Promise<LeaseRecord>;
  update(record: LeaseRecord): Promise<LeaseRecord>;
}

export interface LeaderElectionOptions {
  store: LeaseStore;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  /** The current holder changed (another instance, or nobody); for the UI's "standby" state. */
  onNewLeader?: (identity: string | undefined) => void;
  logger: Logger;
}

/** Pure decision: may `identity` take or keep the lease, given what it observed and when? */
export function canAcquire(
  record: LeaseRecord | undefined,
  identity: string,
  time: { observedAtMs: number; nowMs: number; leaseDurationMs: number },
): boolean {
  const { observedAtMs, nowMs, leaseDurationMs } = time;
  if (!record?.holderIdentity) return true;
  if (record.holderIdentity === identity) return true;
  const duration = (record.leaseDurationSeconds ?? leaseDurationMs / 1000) * 1000;
  return nowMs > observedAtMs + duration;
}

/** MicroTime as Kubernetes serializes it (RFC 3339 with microseconds). */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private readonly o: Required<Omit<LeaderElectionOptions, 'onNewLeader'>> & Pick<LeaderElectionOptions, 'onNewLeader'>;
  private observed: { key: string; at: number } | undefined;
  private record: LeaseRecord | undefined;
  private leading = false;
  private lastHolder: string | undefined;

  constructor(opts: LeaderElectionOptions) {
    this.o = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...opts };
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns, leads and renews until `signal` aborts; then releases the lease if it holds it. */
  async run(signal: AbortSignal): Promise<void> {
    let lastRenew = 0;
    while (!signal.aborted) {
      const ok = await this.tryAcquireOrRenew().catch((err: unknown) => {
        this.o.logger.warn('lease update failed', { holder: this.o.identity, error: errorMessage(err) });
        return false;
      });
      const now = Date.now();
      if (ok) {
        lastRenew = now;
        if (!this.leading) {
          this.leading = true;
          this.o.logger.info('became leader', { holder: this.o.identity });
          this.o.onStartedLeading();
        }
      } else if (this.leading && now - lastRenew > this.o.renewDeadlineMs) {
        this.stopLeading('could not renew the lease in time');
      }
      await sleep(this.o.retryPeriodMs, signal);
    }
    if (this.leading) {
      this.stopLeading();
      await this.release().catch((err: unknown) =>
        this.o.logger.warn('lease release failed', { error: errorMessage(err) }),
      );
    }
  }

  /** `problem` is set when leadership was lost rather than given up on a clean stop. */
  private stopLeading(problem?: string): void {
    this.leading = false;
    if (problem) this.o.logger.warn('stopped leading', { holder: this.o.identity, problem });
    else this.o.logger.info('stopped leading', { holder: this.o.identity });
    this.o.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = Date.now();
    const current = await this.o.store.get();
    const desired: LeaseRecord = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    if (!current) {
      this.record = await this.o.store.create(desired);
      this.observe(this.record, now);
      return true;
    }
    this.observe(current, now);
    const time = { observedAtMs: this.observed?.at ?? now, nowMs: now, leaseDurationMs: this.o.leaseDurationMs };
    if (!canAcquire(current, this.o.identity, time)) return false;
    if (current.holderIdentity === this.o.identity) {
      desired.acquireTime = current.acquireTime;
      desired.leaseTransitions = current.leaseTransitions;
    } else {
      desired.leaseTransitions = (current.leaseTransitions ?? 0) + 1;
    }
    this.record = await this.o.store.update({ ...desired, resourceVersion: current.resourceVersion });
    this.observe(this.record, now);
    return true;
  }

  /** Remembers when the record last changed, on our clock. */
  private observe(record: LeaseRecord, now: number): void {
    const key = `${record.holderIdentity ?? ''}|${record.renewTime ?? ''}`;
    if (this.observed?.key !== key) this.observed = { key, at: now };
    if (record.holderIdentity !== this.lastHolder) {
      this.lastHolder = record.holderIdentity;
      this.o.onNewLeader?.(record.holderIdentity || undefined);
    }
  }

  private async release(): Promise<void> {
    const current = await this.o.store.get();
    if (current?.holderIdentity !== this.o.identity) return;
    await this.o.store.update({
      ...current,
      holderIdentity: '',
      leaseDurationSeconds: 1,
      renewTime: microTime(Date.now()),
    });
  }
}
