/**
 * Flux's duplicate suppression for events (notification-controller `eventKeyFunc` + a one-token limiter per key):
 * the same object, message and revision is delivered once per interval (`--rate-limit-interval`, default 5m);
 * repeats inside the interval are dropped (the event server answers them with 429).
 */
import { createHash } from 'node:crypto';

import type { NotificationEvent } from '../flux/events.ts';
import { apiGroup } from './notification-event.ts';

export const DEFAULT_RATE_LIMIT_INTERVAL_MS = 5 * 60_000;

export function eventKey(event: NotificationEvent): string {
  const o = event.involvedObject;
  const comps = ['event', `name=${o.name}`, `namespace=${o.namespace}`, `kind=${o.kind}`, `message=${event.message}`];
  const m = event.metadata ?? {};
  const group = apiGroup(o.apiVersion);
  const revision = m[`${group}/revision`] ?? m.revision;
  if (revision !== undefined) comps.push(`revision=${revision}`);
  const token = m[`${group}/token`] ?? m.token;
  if (token !== undefined) comps.push(`token=${token}`);
  return createHash('sha256').update(comps.join('/')).digest('hex');
}

export interface EventRateLimiter {
  /** True when the event is new for its interval (deliver it), false for a duplicate (drop it). */
  admit(event: NotificationEvent): boolean;
  /** Keys tracked now (bounded: expired keys are swept). */
  size(): number;
}

export function createEventRateLimiter(options: { intervalMs?: number; now?: () => number } = {}): EventRateLimiter {
  const intervalMs = options.intervalMs ?? DEFAULT_RATE_LIMIT_INTERVAL_MS;
  const now = options.now ?? Date.now;
  // key → when its interval started; a one-token bucket refilled once per interval.
  const windows = new Map<string, number>();
  let lastSweep = now();
  const sweep = (t: number): void => {
    if (t - lastSweep < intervalMs) return;
    lastSweep = t;
    for (const [k, start] of windows) if (t - start >= intervalMs) windows.delete(k);
  };
  return {
    admit(event) {
      const t = now();
      sweep(t);
      const key = eventKey(event);
      const start = windows.get(key);
      if (start !== undefined && t - start < intervalMs) return false;
      windows.set(key, t);
      return true;
    },
    size: () => windows.size,
  };
}
