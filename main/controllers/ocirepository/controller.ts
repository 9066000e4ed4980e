import type { ClusterSession } from '../../engine/cluster-session.ts';
import type { Controller, ResourceType } from '../../engine/controller-manager.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import { type OCIRepository, sourceTimeoutMs } from '../../flux/source.ts';
import { secretData } from '../../kube/secrets.ts';
import type { ArtifactStore } from '../../sources/artifacts/artifact-store.ts';
import type { FluxEventSink } from '../flux-events.ts';
import { sourcePorts } from '../source/source-ports.ts';
import type { OCIRepositoryPorts } from './ports.ts';
import { pullOciArtifact, resolveOciArtifact, verifyOciSignature } from './pull.ts';
import { reconcileOCIRepository } from './reconcile.ts';

const OCI: ResourceType = { apiVersion: fluxKinds.OCIRepository.apiVersion, kind: 'OCIRepository' };

export interface OCIRepositoryControllerDeps {
  session: ClusterSession;
  store: ArtifactStore;
  events: FluxEventSink;
  concurrency?: number;
}

/** The engine controller for OCIRepositories. */
export function ociRepositoryController(deps: OCIRepositoryControllerDeps): Controller {
  return {
    type: OCI,
    concurrency: deps.concurrency ?? 2,
    reconcile: (obj, req) =>
      reconcileOCIRepository(obj as OCIRepository, ociRepositoryPorts(obj as OCIRepository, deps), req.signal),
  };
}

export function ociRepositoryPorts(repo: OCIRepository, deps: OCIRepositoryControllerDeps): OCIRepositoryPorts {
  const { session, store } = deps;
  const client = session.client;
  const base = sourcePorts(repo, deps);
  const { owner } = base;
  const timeout = (signal: AbortSignal): AbortSignal =>
    AbortSignal.any([signal, AbortSignal.timeout(sourceTimeoutMs(repo))]);
  return {
    ...base,
    resolve: (r, auth, signal) => resolveOciArtifact(r, auth, timeout(signal)),
    verifyCosign: (check, signal) => verifyOciSignature(check, timeout(signal)),
    storeArtifact: async (r, resolved, inputs, signal) => {
      const secret = r.spec.secretRef
        ? await secretData(client, owner.namespace, r.spec.secretRef.name, signal)
        : undefined;
      return pullOciArtifact(store, { repo: r, owner, resolved, inputs, secret, signal: timeout(signal) });
    },
  };
}
