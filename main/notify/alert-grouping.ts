import { type AlertInput, CONDITION_RULES } from './inbox-types.ts';

/**
 * When two alerts are "the same thing again". A failing reconcile repeats on every retry with a message that differs
 * only in how long something took ("health check failed after 1m0.2s"), so durations and timestamps are masked
 * before comparing. Condition rules (suspended, source stale, auth failing) have one key per object, whatever their
 * message says, so an open condition is updated rather than raised twice.
 */

// Go durations as Flux prints them (`1m30.5s`, `250ms`, `2h0m0s`) and RFC 3339 timestamps.
// Standalone only: `web-5m` or `v1.2h` are names, not durations.
const DURATION =
  /(?<![\w.\-/:@])\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))*(?![\w-]|\.\w)/g;
const TIMESTAMP = /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g;

export function normalizeMessage(message: string): string {
  return message.replace(TIMESTAMP, '<time>').replace(DURATION, '<duration>').trim();
}

export function isConditionRule(rule: AlertInput['rule']): boolean {
  return CONDITION_RULES.includes(rule);
}

/** The identity repeats share: cluster, object, rule, reason and the normalized message (or `groupBy`). */
export function groupKeyOf(input: AlertInput): string {
  const o = input.object;
  const object = o ? `${o.kind}/${o.namespace}/${o.name}` : '';
  if (isConditionRule(input.rule)) return JSON.stringify(['condition', input.rule, input.cluster, object]);
  return JSON.stringify([
    input.rule,
    input.cluster,
    object,
    input.reason,
    input.groupBy ?? normalizeMessage(input.message),
  ]);
}
