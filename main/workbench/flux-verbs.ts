/**
 * The `flux` CLI's verbs on one object (reconcile, suspend, resume), over main/controllers/requests, with their
 * progress tagged by phase and their result in the workbench's terms.
 */
import { FluxdeckError, type FluxKey } from '../contract/index.ts';
import {
  describeFluxRef,
  type FluxObjectRef,
  requestReconcile,
  type RequestResult,
  resume,
  setSuspended,
} from '../controllers/requests/flux-requests.ts';
import { fluxKind } from '../flux/kinds.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import { asFluxdeckError } from './errors.ts';
import type { ActionOptions, EngineOutcome, Workbench } from './workbench.ts';

/** How long an action waits for the controller's answer (the flux CLI's default timeout). */
export const ACTION_TIMEOUT_MS = 5 * 60_000;

/** The Flux kind of a key, or FluxdeckError('invalid-request') for a kind Fluxdeck does not know. */
export function fluxRef(key: FluxKey): FluxObjectRef {
  const kind = fluxKind(key.kind);
  if (!kind) throw new FluxdeckError('invalid-request', `${key.kind} is not a Flux kind Fluxdeck knows.`);
  return { kind, namespace: key.namespace, name: key.name };
}

/** A request's result in the workbench's terms: Ready, its message, and the revision applied. */
export const outcome = (r: RequestResult): EngineOutcome => {
  const status = (r.object.status ?? {}) as { lastAppliedRevision?: string; artifact?: { revision?: string } };
  const revision = status.lastAppliedRevision ?? status.artifact?.revision;
  return { ok: r.ready, message: r.message, ...(revision !== undefined && { revision }) };
};

/** Progress messages of flux-requests, tagged with the phase they belong to. */
export const progressFor = (key: FluxKey, o: ActionOptions): ((message: string) => void) => {
  const self = `${key.kind} ${key.namespace}/${key.name}`;
  return (message) =>
    o.onProgress({
      phase: !message.includes(self) ? 'source' : message.startsWith('waiting') ? 'waiting' : 'requested',
      message,
    });
};

export function fluxVerbs(
  clientOf: (cluster: string) => ClusterClient,
): Pick<Workbench, 'reconcile' | 'suspend' | 'resume'> {
  return {
    async reconcile(key, o) {
      const client = clientOf(key.cluster);
      const ref = fluxRef(key);
      try {
        return outcome(
          await requestReconcile(client, ref, {
            withSource: o.withSource,
            signal: o.signal,
            timeoutMs: ACTION_TIMEOUT_MS,
            progress: progressFor(key, o),
          }),
        );
      } catch (err) {
        throw asFluxdeckError(err, `Reconcile of ${describeFluxRef(ref)} in ${key.cluster} failed`);
      }
    },

    async suspend(key, o) {
      const client = clientOf(key.cluster);
      const ref = fluxRef(key);
      try {
        o.onProgress({ phase: 'requested', message: `setting spec.suspend on ${describeFluxRef(ref)}` });
        await setSuspended(client, ref, true, {
          signal: o.signal,
          ...(o.reason !== undefined && { reason: o.reason }),
        });
        return { ok: true, message: `${describeFluxRef(ref)} suspended` };
      } catch (err) {
        throw asFluxdeckError(err, `Suspend of ${describeFluxRef(ref)} in ${key.cluster} failed`);
      }
    },

    async resume(key, o) {
      const client = clientOf(key.cluster);
      const ref = fluxRef(key);
      try {
        return outcome(
          await resume(client, ref, { signal: o.signal, timeoutMs: ACTION_TIMEOUT_MS, progress: progressFor(key, o) }),
        );
      } catch (err) {
        throw asFluxdeckError(err, `Resume of ${describeFluxRef(ref)} in ${key.cluster} failed`);
      }
    },
  };
}
