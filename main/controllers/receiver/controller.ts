import type { ClusterSession } from '../../engine/cluster-session.ts';
import type { Controller, ResourceType } from '../../engine/controller-manager.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import type { Receiver, ReceiverStatus } from '../../flux/notification.ts';
import { secretData } from '../../kube/secrets.ts';
import type { FluxEventSink } from '../flux-events.ts';
import { setFinalizer, StatusWriter } from '../status-writer.ts';
import type { ReceiverPorts } from './ports.ts';
import { reconcileReceiver } from './reconcile.ts';

export const RECEIVER: ResourceType = { apiVersion: fluxKinds.Receiver.apiVersion, kind: 'Receiver' };
export const NOTIFICATION_CONTROLLER = 'notification-controller';
const REVISION_KEY = 'notification.toolkit.fluxcd.io/revision';

export interface ReceiverControllerDeps {
  session: ClusterSession;
  events: FluxEventSink;
  concurrency?: number;
}

/**
 * The engine controller for Receivers. Like Flux's, it does not watch Secrets: a rotated token takes effect at the
 * next interval or on `fluxdeck reconcile receiver` (the receiver server checks the live token meanwhile).
 */
export function receiverController(deps: ReceiverControllerDeps): Controller {
  return {
    type: RECEIVER,
    concurrency: deps.concurrency ?? 2,
    reconcile: (obj, req) => reconcileReceiver(obj as Receiver, receiverPorts(deps), req.signal),
  };
}

export function receiverPorts(deps: ReceiverControllerDeps): ReceiverPorts {
  const { session } = deps;
  const client = session.client;
  const writers = new WeakMap<Receiver, StatusWriter<ReceiverStatus>>();
  const writer = (r: Receiver): StatusWriter<ReceiverStatus> => {
    let w = writers.get(r);
    if (!w) writers.set(r, (w = new StatusWriter<ReceiverStatus>(client, r, NOTIFICATION_CONTROLLER)));
    return w;
  };
  return {
    secret: (ns, name, signal) => secretData(client, ns, name, signal),
    writeStatus: (r, s) => writer(r).write(s),
    setFinalizer: (r, present) => setFinalizer(client, r, present, NOTIFICATION_CONTROLLER),
    event: (r, e) =>
      deps.events.emit(session, r, { ...e, controller: NOTIFICATION_CONTROLLER, revisionKey: REVISION_KEY }),
    now: () => new Date(),
  };
}
