import type { Kustomization } from '../../flux/kustomize.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import { decodeSecretData, type SecretObject } from '../../kube/secrets.ts';

/**
 * `postBuild.substituteFrom`: ConfigMaps and Secrets of the Kustomization's namespace, read in list order (later
 * ones win); a missing one is an error unless `optional`. Undefined when there is no postBuild (no substitution).
 */
export async function substitutionVariables(
  client: ClusterClient,
  ks: Kustomization,
  signal: AbortSignal,
): Promise<Record<string, string> | undefined> {
  const post = ks.spec.postBuild;
  if (!post) return undefined;
  const vars: Record<string, string> = {};
  for (const ref of post.substituteFrom ?? []) {
    const key = { apiVersion: 'v1', kind: ref.kind, namespace: ks.metadata.namespace ?? '', name: ref.name };
    const obj = await client.tryGet<SecretObject>(key, { signal });
    if (!obj) {
      if (ref.optional) continue;
      throw new Error(
        `substitute from '${ref.kind}/${ref.name}' error: ${ref.kind.toLowerCase()}s "${ref.name}" not found`,
      );
    }
    Object.assign(vars, ref.kind === 'Secret' ? decodeSecretData(obj) : obj.data);
  }
  return vars;
}
