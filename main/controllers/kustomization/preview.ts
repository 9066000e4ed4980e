import { type Kustomization, KUSTOMIZE_OWNER } from '../../flux/kustomize.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import { type InventoryRef, inventoryRefs } from '../../kube/inventory.ts';
import { type ObjectDiff, ResourceManager } from '../../kube/resource-manager.ts';
import { inventoryId, type KubeObject, type ObjectRef, refOf } from '../../util/kube-object.ts';
import { RemoteClients, targetClient } from './target-client.ts';

/**
 * What applying a build of a Kustomization would change, without changing anything (`flux diff kustomization`, and
 * the editor's preview before commit): a server-side dry run per object (created / configured with the field
 * changes and who set each live value / unchanged / skipped), and what prune would delete.
 */
export interface KustomizationPreview {
  diffs: ObjectDiff[];
  /** Objects the dry run refused (validation errors), with the apiserver's message. */
  errors: { ref: ObjectRef; message: string }[];
  /** In the inventory but not in the build: deleted on apply when `prune` is on. */
  pruned: InventoryRef[];
}

export async function previewKustomization(
  client: ClusterClient,
  ks: Kustomization,
  objects: KubeObject[],
  signal: AbortSignal,
): Promise<KustomizationPreview> {
  const remotes = new RemoteClients();
  try {
    return await previewWith(await targetClient(client, ks, remotes, signal), ks, objects, signal);
  } finally {
    remotes.close();
  }
}

async function previewWith(
  target: ClusterClient,
  ks: Kustomization,
  objects: KubeObject[],
  signal: AbortSignal,
): Promise<KustomizationPreview> {
  const rm = new ResourceManager(target, { owner: KUSTOMIZE_OWNER });
  const labelled = rm.setOwnerLabels(objects, ks.metadata.name ?? '', ks.metadata.namespace ?? '');
  const diffs: ObjectDiff[] = [];
  const errors: KustomizationPreview['errors'] = [];
  for (const result of await rm.diffAll(labelled, { signal })) {
    if ('error' in result) errors.push({ ref: result.ref, message: result.error.message });
    else diffs.push(result);
  }
  const built = new Set(objects.map((o) => inventoryId(refOf(o))));
  const pruned = ks.spec.prune ? inventoryRefs(ks.status?.inventory).filter((r) => !built.has(inventoryId(r))) : [];
  return { diffs, errors, pruned };
}
