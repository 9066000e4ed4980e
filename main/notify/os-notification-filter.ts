/**
 * Which inbox items raise an OS notification, by the user's local filter written in an Alert's terms. The filter is
 * turned into an Alert and the item into a Flux event, and Flux's own matching (alert-matching.ts) decides, so the
 * severity, kind, name and inclusion/exclusion rules mean exactly what they mean on an Alert.
 */
import type { NotificationEvent } from '../flux/events.ts';
import type { Alert, EventSourceKind } from '../flux/notification.ts';
import { alertsForEvent } from './alert-matching.ts';
import type { InboxItem } from './inbox-types.ts';

/** The contract's OsNotificationFilter (main/contract/notifications.ts), as main/notify reads it. */
export interface OsFilter {
  eventSeverity: 'info' | 'error';
  /** Empty: every kind. */
  kinds: readonly string[];
  /** Exact names or `*`; empty: every name. */
  names: readonly string[];
  /** Empty: every namespace. */
  namespaces: readonly string[];
  inclusionList: readonly string[];
  exclusionList: readonly string[];
}

/** Items about no object (a cluster's credentials failing) are matched as this kind. */
const CLUSTER_KIND = 'Cluster';

/** The inbox item as the event Flux would have sent: errors are `error`, warnings and the rest `info`. */
export function eventOfItem(item: InboxItem): NotificationEvent {
  const o = item.object;
  return {
    involvedObject: {
      apiVersion: o?.apiVersion ?? '',
      kind: o?.kind ?? CLUSTER_KIND,
      namespace: o?.namespace ?? '',
      name: o?.name ?? item.cluster,
    },
    severity: item.severity === 'error' ? 'error' : 'info',
    timestamp: item.lastSeen,
    message: item.message,
    reason: item.reason,
    reportingController: item.source ?? 'fluxdeck',
  };
}

/**
 * The filter as the Alert that would select this event. An Alert's sources are namespaced (an empty one means the
 * Alert's own), so a filter for every namespace becomes an Alert in the event's namespace.
 */
export function alertOfFilter(filter: OsFilter, event: NotificationEvent): Alert {
  const o = event.involvedObject;
  const kinds = filter.kinds.length > 0 ? filter.kinds : [o.kind];
  const names = filter.names.length > 0 ? filter.names : ['*'];
  const namespaces = filter.namespaces.length > 0 ? filter.namespaces : [o.namespace];
  return {
    apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
    kind: 'Alert',
    metadata: { namespace: o.namespace, name: 'fluxdeck-os-notifications' },
    spec: {
      providerRef: { name: 'os' },
      eventSeverity: filter.eventSeverity,
      eventSources: kinds.flatMap((kind) =>
        names.flatMap((name) => namespaces.map((namespace) => ({ kind: kind as EventSourceKind, name, namespace }))),
      ),
      inclusionList: [...filter.inclusionList],
      exclusionList: [...filter.exclusionList],
    },
  };
}

/** True when the item passes the filter (Flux's Alert matching; no label selectors, so nothing is read). */
export function osFilterAllows(filter: OsFilter, item: InboxItem): boolean {
  const event = eventOfItem(item);
  return alertsForEvent([alertOfFilter(filter, event)], event, () => ({})).alerts.length > 0;
}
