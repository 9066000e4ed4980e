import type { ChangeSetEntry } from '../kube/change-set.ts';

/**
 * What a controller reports about an object: recorded as a Kubernetes Event on the object (so `kubectl describe` and
 * `flux events` show it, as with Flux's controllers) and published on the engine bus for the inbox, the tray and
 * the UI's timeline.
 */
export interface FluxEvent {
  cluster: string;
  object: { apiVersion: string; kind: string; namespace: string; name: string; uid?: string };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  revision?: string;
  /** The controller that reports it (`kustomize-controller`, `source-controller`). */
  controller: string;
  /** Objects whose drift was corrected by this reconcile. */
  drifted?: ChangeSetEntry[];
  timestamp: string;
}

/** Flux's event severities (`fluxcd/pkg/apis/event/v1beta1`); `trace` never reaches Kubernetes Events. */
export type EventSeverity = 'trace' | 'info' | 'error';

/**
 * The event as Flux's controllers POST it to notification-controller and as the `generic` provider sends it on
 * (`fluxcd/pkg/apis/event/v1beta1.Event`). Metadata keys carry the controller group prefix
 * (`kustomize.toolkit.fluxcd.io/revision`).
 */
export interface NotificationEvent {
  involvedObject: { apiVersion: string; kind: string; name: string; namespace: string; uid?: string };
  severity: EventSeverity;
  /** RFC 3339 with seconds, as Go's metav1.Time marshals it. */
  timestamp: string;
  message: string;
  reason: string;
  metadata?: Record<string, string>;
  reportingController: string;
  reportingInstance?: string;
}
