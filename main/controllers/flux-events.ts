import type { ClusterSession } from '../engine/cluster-session.ts';
import type { FluxEvent } from '../flux/events.ts';
import type { ChangeSetEntry } from '../kube/change-set.ts';
import { errorMessage } from '../util/errors.ts';
import type { KubeObject } from '../util/kube-object.ts';

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
