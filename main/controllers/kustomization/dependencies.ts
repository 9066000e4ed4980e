import { isReady } from '../../flux/conditions.ts';
import type { Kustomization } from '../../flux/kustomize.ts';

/**
 * `dependsOn` for Kustomizations, as kustomize-controller's `checkDependencies` does it (flux-behaviour.md §2.3), plus
 * one thing Flux lacks: a dependency cycle is named instead of leaving every member "not ready" forever.
 */

export type KustomizationLookup = (namespace: string, name: string) => Kustomization | undefined;

export type DependencyCheck = { ready: true } | { ready: false; message: string; cycle?: string[] };

const refName = (namespace: string, name: string): string => `${namespace}/${name}`;

/** The namespace/name of each dependency, with the dependent's namespace as default. */
export function dependencyRefs(ks: Kustomization): { namespace: string; name: string }[] {
  const ns = ks.metadata.namespace ?? '';
  return (ks.spec.dependsOn ?? []).map((d) => ({ namespace: d.namespace ?? ns, name: d.name }));
}

function sameSource(a: Kustomization, b: Kustomization): boolean {
  const sa = a.spec.sourceRef;
  const sb = b.spec.sourceRef;
  return (
    sa.kind === sb.kind &&
    sa.name === sb.name &&
    (sa.namespace ?? a.metadata.namespace) === (sb.namespace ?? b.metadata.namespace)
  );
}

/**
 * Whether every dependency of `ks` is ready. `sourceRevision` is the revision of `ks`'s own source artifact: a
 * dependency on the same source must have applied exactly that revision, so one commit rolls out in order.
 */
export function checkDependencies(
  ks: Kustomization,
  lookup: KustomizationLookup,
  sourceRevision: string | undefined,
): DependencyCheck {
  const cycle = findCycle(ks, lookup);
  if (cycle)
    return {
      ready: false,
      message: `dependency cycle: ${cycle.join(' -> ')}; remove one of these dependsOn entries`,
      cycle,
    };
  for (const ref of dependencyRefs(ks)) {
    const problem = dependencyProblem(
      ks,
      refName(ref.namespace, ref.name),
      lookup(ref.namespace, ref.name),
      sourceRevision,
    );
    if (problem) return { ready: false, message: problem };
  }
  return { ready: true };
}

function dependencyProblem(
  ks: Kustomization,
  id: string,
  dep: Kustomization | undefined,
  sourceRevision: string | undefined,
): string | undefined {
  if (!dep) return `dependency '${id}' not found`;
  const conditions = dep.status?.conditions ?? [];
  if (conditions.length === 0 || dep.metadata.generation !== dep.status?.observedGeneration || !isReady(conditions)) {
    return `dependency '${id}' is not ready`;
  }
  if (sourceRevision !== undefined && sameSource(ks, dep) && dep.status?.lastAppliedRevision !== sourceRevision) {
    return `dependency '${id}' revision is not up to date`;
  }
  return undefined;
}

/** A dependsOn cycle through `ks`, as `ns/a -> ns/b -> ns/a`, or undefined. */
export function findCycle(ks: Kustomization, lookup: KustomizationLookup): string[] | undefined {
  const start = refName(ks.metadata.namespace ?? '', ks.metadata.name ?? '');
  const visited = new Set<string>();
  const walk = (current: Kustomization, path: string[]): string[] | undefined => {
    for (const ref of dependencyRefs(current)) {
      const id = refName(ref.namespace, ref.name);
      if (id === start) return [...path, id];
      if (visited.has(id)) continue;
      visited.add(id);
      const next = lookup(ref.namespace, ref.name);
      const found = next && walk(next, [...path, id]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(ks, [start]);
}

/** Kustomizations that list `dep` in their dependsOn (requeued when `dep` becomes ready). */
export function dependentsOf(dep: Pick<Kustomization, 'metadata'>, all: Kustomization[]): Kustomization[] {
  const id = refName(dep.metadata.namespace ?? '', dep.metadata.name ?? '');
  return all.filter((k) => dependencyRefs(k).some((r) => refName(r.namespace, r.name) === id));
}
