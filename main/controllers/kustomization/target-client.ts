import type { Kustomization } from '../../flux/kustomize.ts';
import { type ClusterClient, clusterFromKubeconfigYaml } from '../../kube/cluster-client.ts';
import type { SecretObject } from '../../kube/secrets.ts';

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
    const secret = await client.tryGet<SecretObject>(
      { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: secretRef.name },
      { signal },
    );
    if (!secret) throw new Error(`kubeConfig secret '${ns}/${secretRef.name}' not found`);
    const keyName = secretRef.key ?? (secret.data?.value !== undefined ? 'value' : 'value.yaml');
    const value = secret.data?.[keyName];
    if (value === undefined) throw new Error(`kubeConfig secret '${ns}/${secretRef.name}' has no key '${keyName}'`);
    target = remotes.get(`${ns}/${secretRef.name}/${keyName}`, secret.metadata.resourceVersion ?? '', () =>
      clusterFromKubeconfigYaml(Buffer.from(value, 'base64').toString('utf8'), {
        label: `Secret ${ns}/${secretRef.name}`,
      }),
    );
  }
  if (ks.spec.serviceAccountName)
    target = target.impersonate({ serviceAccount: { namespace: ns, name: ks.spec.serviceAccountName } });
  return target;
}
