/**
 * Which ImagePolicies an automation uses (`spec.policySelector`, a label selector over the policies of its
 * namespace; all of them without one), and the refs their markers get.
 */
import { selectsLabels } from '../../contract/label-selector.ts';
import type { ImagePolicy, ImageRef, LabelSelector } from '../../flux/image.ts';
import type { PolicyRef } from '../../images/setters.ts';

/** The selector shared with the renderer's graph; its error is this module's `SelectorError`. */
export { LabelSelectorError as SelectorError } from '../../contract/label-selector.ts';

/** `ns:name` → latest ref of the selected policies that have one; and `name` → ref for `observedPolicies`. */
export function selectedPolicies(
  policies: readonly ImagePolicy[],
  selector: LabelSelector | undefined,
): { refs: Map<string, PolicyRef>; observed: Record<string, ImageRef> } {
  const refs = new Map<string, PolicyRef>();
  const observed: Record<string, ImageRef> = {};
  for (const p of policies) {
    const latest = p.status?.latestRef;
    if (!latest || !selectsLabels(selector, p.metadata.labels ?? {})) continue;
    const name = p.metadata.name ?? '';
    refs.set(`${p.metadata.namespace ?? ''}:${name}`, latest);
    observed[name] = latest;
  }
  return { refs, observed };
}
