/**
 * `spec.kubeConfig.secretRef` as Flux reads it (Kustomization and HelmRelease): the kubeconfig under `key`, else
 * `value`, else `value.yaml`, in the object's namespace. The text holds credentials: callers keep it in memory.
 */
import type { ClusterClient } from '../kube/cluster-client.ts';
import type { SecretObject } from '../kube/secrets.ts';

export interface KubeconfigSecret {
  kubeconfig: string;
  /** `<namespace>/<secret>/<key>`: identifies the kubeconfig for caching clients. */
  id: string;
  /** The Secret's resourceVersion: a cached client is rebuilt when it changes. */
  version: string;
}

export async function readKubeconfigSecret(
  client: ClusterClient,
  namespace: string,
  secretRef: { name: string; key?: string },
  signal: AbortSignal,
): Promise<KubeconfigSecret> {
  const where = `kubeConfig secret '${namespace}/${secretRef.name}'`;
  const secret = await client.tryGet<SecretObject>(
    { apiVersion: 'v1', kind: 'Secret', namespace, name: secretRef.name },
    { signal },
  );
  if (!secret) throw new Error(`${where} not found`);
  const key = secretRef.key ?? (secret.data?.value !== undefined ? 'value' : 'value.yaml');
  const value = secret.data?.[key];
  if (value === undefined) throw new Error(`${where} has no key '${key}'`);
  return {
    kubeconfig: Buffer.from(value, 'base64').toString('utf8'),
    id: `${namespace}/${secretRef.name}/${key}`,
    version: secret.metadata.resourceVersion ?? '',
  };
}
