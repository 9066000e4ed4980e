/**
 * Which Alerts an event goes to, and the event each one sends: notification-controller's `filterAlertsForEvent`,
 * `eventMatchesAlertSource` and `combineEventMetadata` (v1beta3), as pure functions. Regular expressions are Go's
 * RE2 in Flux; the patterns people write (anchors, classes, alternation) mean the same in JavaScript.
 */
import type { NotificationEvent } from '../flux/events.ts';
import type { Alert, CrossNamespaceObjectReference } from '../flux/notification.ts';
import { apiGroup } from './notification-event.ts';

/** The labels of the involved object, or undefined when it cannot be read (Flux: no match, `SourceFetchFailed`). */
export type LabelsOf = (object: NotificationEvent['involvedObject']) => Record<string, string> | undefined;

/** A problem with an Alert found while matching: Flux records these as Warning events on the Alert. */
export interface AlertWarning {
  alert: { namespace: string; name: string };
  reason: 'InvalidConfig' | 'SourceFetchFailed' | 'MetadataAppendFailed';
  message: string;
}

export interface AlertMatch {
  alerts: Alert[];
  warnings: AlertWarning[];
}

const EVENT_GROUP_PREFIX = 'event.toolkit.fluxcd.io/';

function alertId(alert: Alert): { namespace: string; name: string } {
  return { namespace: alert.metadata.namespace ?? '', name: alert.metadata.name ?? '' };
}

function involved(o: NotificationEvent['involvedObject']): string {
  return `${o.kind}/${o.namespace}/${o.name}`;
}

interface MatchContext {
  event: NotificationEvent;
  labelsOf: LabelsOf;
  warnings: AlertWarning[];
}

function sourceMatches(ctx: MatchContext, alert: Alert, source: CrossNamespaceObjectReference): boolean {
  const { event, labelsOf, warnings } = ctx;
  const o = event.involvedObject;
  const namespace = source.namespace || (alert.metadata.namespace ?? '');
  if (o.namespace !== namespace || o.kind !== source.kind) return false;
  const severity = alert.spec.eventSeverity ?? 'info';
  if (event.severity !== severity && severity !== 'info') return false;
  // Flux compares names exactly; only a whole `*` is a wildcard.
  if (source.name !== '*' && source.name !== o.name) return false;
  if (!source.matchLabels) return true;
  const labels = labelsOf(o);
  if (!labels) {
    warnings.push({
      alert: alertId(alert),
      reason: 'SourceFetchFailed',
      message: `error getting source object ${involved(o)}`,
    });
    return false;
  }
  return Object.entries(source.matchLabels).every(([k, v]) => labels[k] === v);
}

/** Compiles a pattern, or records Flux's InvalidConfig warning and returns undefined. */
function compile(pattern: string, list: string, alert: Alert, warnings: AlertWarning[]): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    warnings.push({
      alert: alertId(alert),
      reason: 'InvalidConfig',
      message: `failed to compile ${list} regex: ${pattern}`,
    });
    return undefined;
  }
}

function included(message: string, alert: Alert, warnings: AlertWarning[]): boolean {
  const list = alert.spec.inclusionList ?? [];
  if (list.length === 0) return true;
  let hit = false;
  for (const p of list) {
    const re = compile(p, 'inclusion', alert, warnings);
    if (re?.test(message)) {
      hit = true;
      break;
    }
  }
  return hit;
}

function excluded(message: string, alert: Alert, warnings: AlertWarning[]): boolean {
  for (const p of alert.spec.exclusionList ?? []) {
    if (compile(p, 'exclusion', alert, warnings)?.test(message)) return true;
  }
  return false;
}

/** The Alerts (not suspended) whose sources, severity and inclusion/exclusion lists let the event through. */
export function alertsForEvent(alerts: readonly Alert[], event: NotificationEvent, labelsOf: LabelsOf): AlertMatch {
  const warnings: AlertWarning[] = [];
  const ctx: MatchContext = { event, labelsOf, warnings };
  const matched: Alert[] = [];
  for (const alert of alerts) {
    if (alert.spec.suspend) continue;
    if (!alert.spec.eventSources.some((s) => sourceMatches(ctx, alert, s))) continue;
    if (!included(event.message, alert, warnings)) continue;
    if (excluded(event.message, alert, warnings)) continue;
    matched.push(alert);
  }
  return { alerts: matched, warnings };
}

/**
 * The event an Alert sends (Flux RFC 0008 precedence, lowest first): `event.toolkit.fluxcd.io/` keys from the
 * object's annotations, the Alert's `eventMetadata`, its `summary`, then the controller's `<object group>/` keys; the
 * prefixes are stripped and other keys dropped. Keys set by more than one source give a MetadataAppendFailed
 * warning (the higher source wins).
 */
export function eventForAlert(
  event: NotificationEvent,
  alert: Alert,
): { event: NotificationEvent; warning?: AlertWarning } {
  const metadata: Record<string, string> = {};
  const sources = new Map<string, string[]>();
  const put = (key: string, value: string, source: string): void => {
    metadata[key] = value;
    sources.set(key, [...(sources.get(key) ?? []), source]);
  };
  const original = event.metadata ?? {};
  for (const [k, v] of Object.entries(original)) {
    if (k.startsWith(EVENT_GROUP_PREFIX)) put(k.slice(EVENT_GROUP_PREFIX.length), v, 'involved object annotations');
  }
  for (const [k, v] of Object.entries(alert.spec.eventMetadata ?? {})) put(k, v, 'Alert object .spec.eventMetadata');
  if (alert.spec.summary) put('summary', alert.spec.summary, 'Alert object .spec.summary');
  const objectPrefix = `${apiGroup(event.involvedObject.apiVersion)}/`;
  for (const [k, v] of Object.entries(original)) {
    if (k.startsWith(objectPrefix)) put(k.slice(objectPrefix.length), v, 'involved object controller metadata');
  }
  const conflicts = [...sources.entries()].filter(([, s]) => s.length > 1).map(([k]) => k);
  const out: NotificationEvent = Object.keys(metadata).length > 0 ? { ...event, metadata } : { ...event };
  if (conflicts.length === 0) return { event: out };
  return {
    event: out,
    warning: {
      alert: alertId(alert),
      reason: 'MetadataAppendFailed',
      message: `metadata key conflicts detected (please refer to the Alert API docs and Flux RFC 0008 for more information): ${conflicts.sort().join(', ')}`,
    },
  };
}
