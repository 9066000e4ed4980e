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
