import { fluxKinds } from '../../flux/kinds.ts';
import type { Kustomization } from '../../flux/kustomize.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import { describeRef, type ObjectRef, parseInventoryId } from '../../util/kube-object.ts';

/** One node of `flux tree`: an object and, for Kustomizations, what its inventory holds. */
export interface TreeNode {
  ref: ObjectRef;
  children: TreeNode[];
  /** Why a nested Kustomization could not be expanded (not found, remote cluster). */
  note?: string;
}

/**
 * Walks a Kustomization's `status.inventory` recursively, as `flux tree kustomization` does: nested Kustomizations
 * are expanded unless they target a remote cluster (their inventory lives elsewhere); the object itself is skipped.
 */
export async function inventoryTree(
  client: ClusterClient,
  at: { namespace: string; name: string },
  signal?: AbortSignal,
  depth = 0,
): Promise<TreeNode> {
  const ks = await client.tryGet<Kustomization>(
    { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization', ...at },
    { signal },
  );
  const ref: ObjectRef = { group: fluxKinds.Kustomization.group, kind: 'Kustomization', ...at };
  if (!ks) return { ref, children: [], note: 'not found' };
  const children: TreeNode[] = [];
  for (const child of (ks.status?.inventory?.entries ?? []).map((e) => parseInventoryId(e.id))) {
    if (!child || sameObject(child, ref)) continue;
    const nested = child.kind === 'Kustomization' && child.group === ref.group && depth < 20;
    children.push(
      nested ? await nestedNode(client, { parent: ks, child, depth }, signal) : { ref: child, children: [] },
    );
  }
  return { ref, children };
}

function nestedNode(
  client: ClusterClient,
  at: { parent: Kustomization; child: ObjectRef; depth: number },
  signal: AbortSignal | undefined,
): Promise<TreeNode> {
  const { parent, child, depth } = at;
  if (parent.spec.kubeConfig) return Promise.resolve({ ref: child, children: [], note: 'on a remote cluster' });
  return inventoryTree(client, child, signal, depth + 1);
}

const sameObject = (a: ObjectRef, b: ObjectRef): boolean =>
  a.kind === b.kind && a.group === b.group && a.namespace === b.namespace && a.name === b.name;

/** Renders a tree with box-drawing branches, like `flux tree`. */
export function renderTree(node: TreeNode): string {
  const lines = [label(node)];
  const walk = (n: TreeNode, prefix: string): void => {
    n.children.forEach((c, i) => {
      const last = i === n.children.length - 1;
      lines.push(`${prefix}${last ? '└── ' : '├── '}${label(c)}`);
      walk(c, `${prefix}${last ? '    ' : '│   '}`);
    });
  };
  walk(node, '');
  return lines.join('\n') + '\n';
}

const label = (n: TreeNode): string => `${describeRef(n.ref)}${n.note ? ` (${n.note})` : ''}`;
