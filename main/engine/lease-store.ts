import type { ClusterClient } from '../kube/cluster-client.ts';
import { isNotFound } from '../kube/kube-error.ts';
import type { KubeObject } from '../util/kube-object.ts';
import type { LeaseRecord, LeaseStore } from './leader-election.ts';

type Lease = KubeObject & { spec?: Omit<LeaseRecord, 'resourceVersion'> };

/**
 * A `coordination.k8s.io/v1` Lease as the leader elector's store. `update` sends the resourceVersion it read, so the
 * apiserver refuses it (409) if another instance wrote in between: that is what makes the election safe.
 */
export function kubeLeaseStore(client: ClusterClient, namespace: string, name: string): LeaseStore {
  const key = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace, name };
  const toRecord = (l: Lease): LeaseRecord => ({ ...(l.spec ?? {}), resourceVersion: l.metadata.resourceVersion });
  const toLease = (r: LeaseRecord): Lease => {
    const { resourceVersion, ...spec } = r;
    return {
      apiVersion: key.apiVersion,
      kind: key.kind,
      metadata: {
        name,
        namespace,
        ...(resourceVersion ? { resourceVersion } : {}),
        labels: { 'app.kubernetes.io/managed-by': 'fluxdeck' },
      },
      spec,
    };
  };
  return {
    get: async () => {
      try {
        return toRecord(await client.get<Lease>(key));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    create: async (r) => toRecord(await client.create<Lease>(toLease(r), { fieldManager: 'fluxdeck' })),
    update: async (r) => toRecord(await client.replace<Lease>(toLease(r), { fieldManager: 'fluxdeck' })),
  };
}
