import type { Kustomization } from '../../flux/kustomize.ts';
import { type ClusterClient, clusterFromKubeconfigYaml } from '../../kube/cluster-client.ts';
import { readKubeconfigSecret } from '../kubeconfig-secret.ts';

/**
 * Clients for remote clusters (`kubeConfig.secretRef`), kept per Secret version: building one per reconcile would
 * leak keep-alive sockets and start every apply with an empty in-sync memo. Closed when the session ends, or when
 * the Secret changes.
 */
export class RemoteClients {
  private readonly clients = new Map<string, { version: string; client: ClusterClient }>();

  get(key: string, version: string, create: () => ClusterClient): ClusterClient {
    const cached = this.clients.get(key);
    if (cached?.version === version) return cached.client;
    cached?.client.close();
    const client = create();
    this.clients.set(key, { version, client });
    return client;
  }

  close(): void {
    for (const c of this.clients.values()) c.client.close();
    this.clients.clear();
  }
}

/**
 * The client that applies for this Kustomization: the session's, impersonating `serviceAccountName`, or one built
 * from the `kubeConfig.secretRef` Secret for a remote cluster (exec plugins refused, as Flux does).
 */
export async function targetClient(
  client: ClusterClient,
  ks: Kustomization,
  remotes: RemoteClients,
  signal: AbortSignal,
): Promise<ClusterClient> {
  const ns = ks.metadata.namespace ?? '';
  const secretRef = ks.spec.kubeConfig?.secretRef;
  let target = client;
  if (secretRef) {
    const remote = await readKubeconfigSecret(client, ns, secretRef, signal);
    target = remotes.get(remote.id, remote.version, () =>
      clusterFromKubeconfigYaml(remote.kubeconfig, { label: `Secret ${ns}/${secretRef.name}` }),
    );
  }
  if (ks.spec.serviceAccountName)
    target = target.impersonate({ serviceAccount: { namespace: ns, name: ks.spec.serviceAccountName } });
  return target;
}
