import type { KubeObject } from '../util/kube-object.ts';

/**
 * The policy annotations and labels Flux honours (flux-behaviour.md §3.2, §3.6) and the options kustomize-controller
 * passes to its apply engine. Keys are built from the owner's API group, so helm-controller style owners get their own.
 */
export interface Owner {
  /** The SSA field manager: `kustomize-controller`. */
  field: string;
  /** The API group used for owner labels and policy keys: `kustomize.toolkit.fluxcd.io`. */
  group: string;
}

/** key → value, matched against labels OR annotations, values case-insensitively. */
export type MetadataSelector = Record<string, string>;

export interface FieldManagerMatch {
  /** Matched as a prefix, as Flux does (`kubectl` covers `kubectl-edit`, `kubectl-client-side-apply`...). */
  name: string;
  operation: 'Apply' | 'Update';
}

export interface CleanupOptions {
  annotations: string[];
  labels: string[];
  fieldManagers: FieldManagerMatch[];
  /** Objects matching this are not cleaned up (the `ssa: Merge` policy). */
  exclusions: MetadataSelector;
}

export interface ApplyPolicy {
  /** Recreate objects whose immutable fields changed (`spec.force`). */
  force: boolean;
  forceSelector: MetadataSelector;
  exclusionSelector: MetadataSelector;
  ifNotPresentSelector: MetadataSelector;
  cleanup: CleanupOptions;
}

/** True if any key/value of the selector is in the object's labels or annotations (values compared case-insensitively). */
export function anyInMetadata(obj: KubeObject | undefined, selector: MetadataSelector): boolean {
  if (!obj) return false;
  const labels = obj.metadata.labels ?? {};
  const annotations = obj.metadata.annotations ?? {};
  for (const [key, want] of Object.entries(selector)) {
    const w = want.toLowerCase();
    if (labels[key]?.toLowerCase() === w || annotations[key]?.toLowerCase() === w) return true;
  }
  return false;
}

/** The options kustomize-controller uses (flux-behaviour.md §3.2), for the given owner. */
export function fluxApplyPolicy(owner: Owner, force = false, disallowedFieldManagers: string[] = []): ApplyPolicy {
  const g = owner.group;
  return {
    force,
    forceSelector: { [`${g}/force`]: 'enabled' },
    exclusionSelector: { [`${g}/reconcile`]: 'disabled', [`${g}/ssa`]: 'ignore' },
    ifNotPresentSelector: { [`${g}/ssa`]: 'ifnotpresent' },
    cleanup: {
      annotations: ['kubectl.kubernetes.io/last-applied-configuration', `${g}/checksum`, 'fluxcd.io/sync-checksum'],
      labels: ['fluxcd.io/sync-gc-mark'],
      fieldManagers: [
        { name: 'kubectl', operation: 'Apply' },
        { name: 'kubectl', operation: 'Update' },
        { name: 'before-first-apply', operation: 'Update' },
        { name: owner.field, operation: 'Update' },
        ...disallowedFieldManagers.flatMap((name): FieldManagerMatch[] => [
          { name, operation: 'Apply' },
          { name, operation: 'Update' },
        ]),
      ],
      exclusions: { [`${g}/ssa`]: 'merge' },
    },
  };
}

/** Prune guards: never delete objects marked `prune: disabled` or `reconcile: disabled`. */
export function pruneExclusions(owner: Owner): MetadataSelector {
  return { [`${owner.group}/prune`]: 'disabled', [`${owner.group}/reconcile`]: 'disabled' };
}

/** The owner labels every applied object carries: `<group>/name` and `<group>/namespace`. */
export function ownerLabels(owner: Owner, name: string, namespace: string): Record<string, string> {
  return { [`${owner.group}/name`]: name, [`${owner.group}/namespace`]: namespace };
}
