import type { HelmRelease } from '../../flux/helm.ts';
import type { KubeAccess } from '../../helm/index.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import { readKubeconfigSecret } from '../kubeconfig-secret.ts';

/**
 * How the helper reaches the cluster a HelmRelease deploys to: the session's own context (trusted: it is the
 * user's kubeconfig), or the `kubeConfig.secretRef` kubeconfig (untrusted: no exec plugins or local files, as Flux),
 * impersonating `serviceAccountName` in either case. The kubeconfig text stays in memory.
 */
export async function releaseKube(
  client: ClusterClient,
  hr: HelmRelease,
  own: () => KubeAccess,
  signal: AbortSignal,
): Promise<KubeAccess> {
  const ns = hr.metadata.namespace ?? '';
  // Flux impersonates the account in the HelmRelease's namespace; the helper's `serviceAccount` would take the
  // release (target) namespace, so name the user in full.
  const name = hr.spec.serviceAccountName;
  const sa = name ? { impersonate: `system:serviceaccount:${ns}:${name}` } : {};
  const secretRef = hr.spec.kubeConfig?.secretRef;
  if (!secretRef) return { ...own(), trusted: true, ...sa };
  const { kubeconfig } = await readKubeconfigSecret(client, ns, secretRef, signal);
  return { kubeconfig, ...sa };
}
