/**
 * Which ImagePolicies an automation uses (`spec.policySelector`, a label selector over the policies of its
 * namespace; all of them without one), and the refs their markers get.
 */
import { selectsLabels } from '../../contract/index.ts';
import type { ImagePolicy, ImageRef, LabelSelector } from '../../flux/image.ts';
import type { PolicyRef } from '../../images/setters.ts';

/** The selector shared with the renderer's graph; its error is this module's `SelectorError`. */
export { LabelSelectorError as SelectorError } from '../../contract/index.ts';

/**
 * `ns:name` → latest ref of each selected policy (undefined for one that has selected no image yet); and `name` →
 * ref for `observedPolicies`, which lists only policies with a ref.
 */
export function selectedPolicies(
  policies: readonly ImagePolicy[],
  selector: LabelSelector | undefined,
): { refs: Map<string, PolicyRef | undefined>; observed: Record<string, ImageRef> } {
  const refs = new Map<string, PolicyRef | undefined>();
  const observed: Record<string, ImageRef> = {};
  for (const p of policies) {
    if (!selectsLabels(selector, p.metadata.labels ?? {})) continue;
    const name = p.metadata.name ?? '';
    const latest = p.status?.latestRef;
    refs.set(`${p.metadata.namespace ?? ''}:${name}`, latest);
    if (latest) observed[name] = latest;
  }
  return { refs, observed };
}
