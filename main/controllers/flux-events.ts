import type { ClusterSession } from '../engine/cluster-session.ts';
import type { ChangeSetEntry } from '../kube/change-set.ts';
import { errorMessage } from '../util/errors.ts';
import type { KubeObject } from '../util/kube-object.ts';

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

export interface FluxEventInput {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  revision?: string;
  drifted?: ChangeSetEntry[];
  controller: string;
  /** The annotation that carries the revision, `<controller group>/revision`. */
  revisionKey: string;
}

export interface FluxEventSink {
  emit(session: ClusterSession, object: KubeObject, event: FluxEventInput): void;
}

export function fluxEventSink(publish: (event: FluxEvent) => void): FluxEventSink {
  return {
    emit: (session, object, e) => {
      const annotations = e.revision ? { [e.revisionKey]: e.revision } : undefined;
      session.client
        .createEvent(object, {
          type: e.type,
          reason: e.reason,
          message: e.message,
          reportingController: e.controller,
          ...(annotations ? { annotations } : {}),
        })
        .catch((err: unknown) =>
          session.logger.warn('could not record event', { object: object.metadata.name, error: errorMessage(err) }),
        );
      publish({
        cluster: session.context,
        object: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          namespace: object.metadata.namespace ?? '',
          name: object.metadata.name ?? '',
          ...(object.metadata.uid ? { uid: object.metadata.uid } : {}),
        },
        type: e.type,
        reason: e.reason,
        message: e.message,
        controller: e.controller,
        ...(e.revision ? { revision: e.revision } : {}),
        ...(e.drifted ? { drifted: e.drifted } : {}),
        timestamp: new Date().toISOString(),
      });
    },
  };
}
