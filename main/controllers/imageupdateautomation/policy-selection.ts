/**
 * Which ImagePolicies an automation uses (`spec.policySelector`, a label selector over the policies of its
 * namespace; all of them without one), and the refs their markers get.
 */
import type { ImagePolicy, ImageRef, LabelSelector } from '../../flux/image.ts';
import type { PolicyRef } from '../../images/setters.ts';

export class SelectorError extends Error {}

function matchesExpression(
  labels: Record<string, string>,
  e: { key: string; operator: string; values?: string[] },
): boolean {
  const v = labels[e.key];
  const values = e.values ?? [];
  switch (e.operator) {
    case 'In':
      return v !== undefined && values.includes(v);
    case 'NotIn':
      return v === undefined || !values.includes(v);
    case 'Exists':
      return v !== undefined;
    case 'DoesNotExist':
      return v === undefined;
    default:
      throw new SelectorError(`invalid policy selector: '${e.operator}' is not a valid label selector operator`);
  }
}

export function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return byLabel && (selector.matchExpressions ?? []).every((e) => matchesExpression(labels, e));
}

/** `ns:name` → latest ref of the selected policies that have one; and `name` → ref for `observedPolicies`. */
export function selectedPolicies(
  policies: readonly ImagePolicy[],
  selector: LabelSelector | undefined,
): { refs: Map<string, PolicyRef>; observed: Record<string, ImageRef> } {
  const refs = new Map<string, PolicyRef>();
  const observed: Record<string, ImageRef> = {};
  for (const p of policies) {
    const latest = p.status?.latestRef;
    if (!latest || !selects(selector, p.metadata.labels ?? {})) continue;
    const name = p.metadata.name ?? '';
    refs.set(`${p.metadata.namespace ?? ''}:${name}`, latest);
    observed[name] = latest;
  }
  return { refs, observed };
}
