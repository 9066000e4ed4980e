import { setTimeout as sleep } from 'node:timers/promises';

import { describeRef, type KubeObject, type ObjectRef, refOf } from '../util/kube-object.ts';
import type { ClusterClient } from './cluster-client.ts';
import { computeStatus, type HealthResult } from './kstatus.ts';
import { isKubeError, KubeError } from './kube-error.ts';
import { type LiveTarget, readLiveObjects } from './live-objects.ts';

/**
 * Waits for a set of objects to become ready (kstatus `Current`), polling the cluster: one LIST per kind and
 * namespace when several objects share them (as kstatus' caching cluster reader does), a GET otherwise.
 */
export type WaitTarget = LiveTarget;

export interface ObjectStatus extends HealthResult {
  ref: ObjectRef;
  subject: string;
}

export interface WaitOptions {
  /** Give up after this many milliseconds. */
  timeout: number;
  /** Poll interval in milliseconds (default 2000). */
  interval?: number;
  /** Stop as soon as one object is Failed (kstatus), instead of waiting for the timeout. */
  failFast?: boolean;
  signal?: AbortSignal;
}

/** The wait did not succeed; `statuses` says, per object, what it was last seen as and why. */
export class WaitError extends Error {
  readonly statuses: ObjectStatus[];
  constructor(message: string, statuses: ObjectStatus[], cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'WaitError';
    this.statuses = statuses;
  }

  /** The objects that were not ready. */
  get notReady(): ObjectStatus[] {
    return this.statuses.filter((s) => s.status !== 'Current');
  }
}

export function targetOf(x: KubeObject | WaitTarget): WaitTarget {
  return 'metadata' in x ? { ref: refOf(x), apiVersion: x.apiVersion } : x;
}

/** Reads the current status of every target (one round of requests). */
export async function pollStatuses(
  client: ClusterClient,
  targets: readonly WaitTarget[],
  signal?: AbortSignal,
): Promise<ObjectStatus[]> {
  const live = await readLiveObjects(client, targets, { signal });
  return targets.map((t) => {
    const o = live.get(t);
    const result: HealthResult = o ? computeStatus(o) : { status: 'NotFound', message: 'Resource not found' };
    return { ...result, ref: t.ref, subject: describeRef(t.ref) };
  });
}

/** Formats the statuses that are not Current, Flux style: `Deployment/ns/web status: 'InProgress': Available: 0/1`. */
export function describeNotReady(statuses: readonly ObjectStatus[]): string {
  return statuses
    .filter((s) => s.status !== 'Current')
    .map((s) => `${s.subject} status: '${s.status}'${s.message ? `: ${s.message}` : ''}`)
    .join(', ');
}

/** Resolves with every object's status once all are Current; throws WaitError on timeout (or early failure). */
export async function waitForSet(
  client: ClusterClient,
  objects: readonly (KubeObject | WaitTarget)[],
  opts: WaitOptions,
): Promise<ObjectStatus[]> {
  const targets = objects.map(targetOf);
  if (targets.length === 0) return [];
  // Closing the cluster ends the wait at once, not at the next poll.
  const signal = opts.signal ? AbortSignal.any([opts.signal, client.signal]) : client.signal;
  const deadline = Date.now() + opts.timeout;
  const interval = opts.interval ?? 2000;
  let last: ObjectStatus[] = [];
  for (;;) {
    try {
      last = await pollStatuses(client, targets, signal);
    } catch (err) {
      // A poll that fails (apiserver restarting) is retried until the deadline; only aborts end the wait at once.
      if (isKubeError(err, 'Aborted') || signal.aborted) throw err;
      if (isKubeError(err, 'UnknownKind')) throw err;
      if (Date.now() >= deadline)
        throw new WaitError(`timeout waiting for ${targets.length} objects: ${(err as Error).message}`, last, err);
    }
    if (last.length && last.every((s) => s.status === 'Current')) return last;
    if (opts.failFast && last.some((s) => s.status === 'Failed'))
      throw new WaitError(`failed early due to stalled resources: [${describeNotReady(last)}]`, last);
    if (Date.now() >= deadline) throw new WaitError(`timeout waiting for: [${describeNotReady(last)}]`, last);
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())), undefined, { signal }).catch((err: unknown) => {
      throw new KubeError('wait aborted', { reason: 'Aborted', cause: err });
    });
  }
}

/** Resolves once none of the objects exists any more; throws WaitError listing the ones still there. */
export async function waitForTermination(
  client: ClusterClient,
  objects: readonly (KubeObject | WaitTarget)[],
  opts: WaitOptions,
): Promise<void> {
  const targets = objects.map(targetOf);
  const signal = opts.signal ? AbortSignal.any([opts.signal, client.signal]) : client.signal;
  const deadline = Date.now() + opts.timeout;
  for (;;) {
    let remaining: ObjectStatus[];
    try {
      remaining = (await pollStatuses(client, targets, signal)).filter((s) => s.status !== 'NotFound');
    } catch (err) {
      if (!isKubeError(err, 'UnknownKind')) throw err;
      return; // the kind itself is gone (its CRD was deleted), so are its objects
    }
    if (remaining.length === 0) return;
    if (Date.now() >= deadline)
      throw new WaitError(`termination timeout: ${remaining.map((s) => s.subject).join(', ')} still exist`, remaining);
    await sleep(Math.min(opts.interval ?? 2000, Math.max(0, deadline - Date.now())), undefined, { signal });
  }
}
