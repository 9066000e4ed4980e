/**
 * Cross-namespace access to an ImageRepository (`spec.accessFrom`, Flux's `fluxcd/pkg/runtime/acl`): the same
 * namespace always may; another one only when a namespace selector of the repository matches its labels
 * (`matchLabels: {}` matches every namespace).
 */
import type { AccessFrom } from '../../flux/source.ts';

export function accessDenial(
  from: { kind: string; namespace: string; name: string },
  to: { kind: string; namespace: string; name: string },
  accessFrom: AccessFrom | undefined,
  labels: Record<string, string> | undefined,
): string | undefined {
  if (from.namespace === to.namespace) return undefined;
  const ref = `${to.kind}/${to.namespace}/${to.name}`;
  if (!accessFrom) return `'${ref}' can't be accessed due to missing ACL labels on 'accessFrom'`;
  const matches = accessFrom.namespaceSelectors.some((s) =>
    Object.entries(s.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v),
  );
  return matches ? undefined : `'${ref}' can't be accessed due to labels mismatch on namespace '${from.namespace}'`;
}
