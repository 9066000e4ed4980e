import type { ClusterSession } from '../../engine/cluster-session.ts';
import { secretData } from '../../kube/secrets.ts';
import type { ArtifactOwner } from '../../sources/artifacts/artifact.ts';
import type { ArtifactStore } from '../../sources/artifacts/artifact-store.ts';
import type { FluxEventSink } from '../flux-events.ts';
import { setFinalizer, StatusWriter } from '../status-writer.ts';
import type { SourceObject, SourcePorts } from './ports.ts';

/** source-controller's name: the field manager of status and the events' reporting controller, as Flux's. */
export const SOURCE_CONTROLLER = 'source-controller';

export interface SourcePortDeps {
  session: ClusterSession;
  store: ArtifactStore;
  events: FluxEventSink;
}

/** The ports every artifact source wires the same way: Secrets, the artifact store, status, finalizer, events. */
export function sourcePorts<T extends SourceObject>(
  obj: T,
  deps: SourcePortDeps,
): SourcePorts<T> & { owner: ArtifactOwner } {
  const { session, store } = deps;
  const client = session.client;
  const status = new StatusWriter<NonNullable<T['status']>>(client, obj, SOURCE_CONTROLLER);
  const owner = { kind: obj.kind, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '' };
  return {
    owner,
    secret: (ns, name, signal) => secretData(client, ns, name, signal),
    artifactExists: (artifact) => store.exists(artifact),
    deleteArtifacts: () => store.removeAll(owner),
    writeStatus: (_o, s) => status.write(s),
    setFinalizer: (o, present) => setFinalizer(client, o, present, SOURCE_CONTROLLER),
    event: (o, e) =>
      deps.events.emit(session, o, {
        ...e,
        controller: SOURCE_CONTROLLER,
        revisionKey: 'source.toolkit.fluxcd.io/revision',
      }),
    now: () => new Date(),
  };
}
