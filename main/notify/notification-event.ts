/**
 * Our controllers' `FluxEvent` in the shape Flux's controllers send to notification-controller, so Alerts,
 * providers and the `generic` webhook see exactly what in-cluster Flux would send.
 */
import type { FluxEvent, NotificationEvent } from '../flux/events.ts';

/** The API group of an apiVersion (`kustomize.toolkit.fluxcd.io/v1` → `kustomize.toolkit.fluxcd.io`; core → ''). */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Go's metav1.Time marshals to whole seconds in UTC. */
export function rfc3339Seconds(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function toNotificationEvent(event: FluxEvent, reportingInstance?: string): NotificationEvent {
  const group = apiGroup(event.object.apiVersion);
  const metadata: Record<string, string> = {};
  // Flux writes `<controller group>/revision`; the controller group is the involved object's group.
  if (event.revision) metadata[`${group}/revision`] = event.revision;
  return {
    involvedObject: {
      apiVersion: event.object.apiVersion,
      kind: event.object.kind,
      name: event.object.name,
      namespace: event.object.namespace,
      ...(event.object.uid ? { uid: event.object.uid } : {}),
    },
    severity: event.type === 'Warning' ? 'error' : 'info',
    timestamp: rfc3339Seconds(event.timestamp),
    message: event.message,
    reason: event.reason,
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
    reportingController: event.controller,
    ...(reportingInstance ? { reportingInstance } : {}),
  };
}

/** The revision an event reports: `originRevision` wins over `revision` (Flux's `Event.GetRevision`). */
export function eventRevision(event: NotificationEvent): string | undefined {
  const group = apiGroup(event.involvedObject.apiVersion);
  const m = event.metadata ?? {};
  return m[`${group}/originRevision`] ?? m[`${group}/revision`] ?? m.originRevision ?? m.revision;
}
