/**
 * What in a watched object's change wakes its consumers: a source's new artifact (Kustomizations, HelmReleases) and an
 * object becoming Ready (its dependents in `dependsOn`). Shared so every consumer reacts to the same changes.
 */
import type { CacheEvent } from '../engine/controller-manager.ts';
import { isReady } from '../flux/conditions.ts';
import type { FluxStatus } from '../flux/meta.ts';
import type { KubeObject } from '../util/kube-object.ts';
import type { SourceObject } from './source/ports.ts';

export const nsName = (o: KubeObject): { namespace: string; name: string } => ({
  namespace: o.metadata.namespace ?? '',
  name: o.metadata.name ?? '',
});

/**
 * A source's artifact changed: a new revision or content, or the same revision written again (after a takeover by
 * another instance, whose artifact store did not have it yet, or a HelmChart repackaged for a new generation).
 */
export function artifactChanged(e: CacheEvent): boolean {
  const stamp = (o: KubeObject | undefined): string | undefined => {
    const a = (o as SourceObject | undefined)?.status?.artifact;
    return a && `${a.revision}|${a.digest}|${a.lastUpdateTime}`;
  };
  return e.type !== 'deleted' && stamp(e.object) !== undefined && stamp(e.object) !== stamp(e.old);
}

/** The object turned Ready (it was not before). */
export function becameReady(e: CacheEvent): boolean {
  if (e.type !== 'modified') return false;
  const ready = (o: KubeObject | undefined): boolean => {
    const status = o?.status as FluxStatus | undefined;
    return isReady(status?.conditions);
  };
  return ready(e.object) && !ready(e.old);
}
