import type { CacheEvent, ResourceType } from '../../engine/controller-manager.ts';
import type { HelmRelease } from '../../flux/helm.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import { Label } from '../../flux/meta.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import { createWatchCache } from '../../kube/watch-cache.ts';
import type { KubeObject } from '../../util/kube-object.ts';
import { nsName } from '../watch-triggers.ts';
import { VALUES_KINDS } from './release-inputs.ts';

/**
 * helm-controller's watch of values sources: a change of a ConfigMap or Secret labelled `reconcile.fluxcd.io/watch:
 * Enabled` requeues the HelmReleases whose valuesFrom names it, so an edited values file is released without waiting
 * for the interval. Only labelled objects are watched (as helm-controller's `--watch-configs-label-selector`), so the
 * process never holds the cluster's other Secrets; these stay in main and are never sent to the renderer.
 */

export const WATCHED_VALUES_SELECTOR = `${Label.Watch}=${Label.WatchEnabled}`;

const contentOf = (o: KubeObject | undefined): string => JSON.stringify([o?.data ?? {}, o?.binaryData ?? {}]);

/** Whether a values source's content changed (not just its metadata or status). */
export function valuesChanged(e: CacheEvent): boolean {
  if (e.type !== 'modified') return true;
  return contentOf(e.object) !== contentOf(e.old);
}

/** The HelmReleases whose valuesFrom names this ConfigMap or Secret (in their own namespace). */
export function releasesUsing(
  source: KubeObject,
  releases: readonly HelmRelease[],
): { namespace: string; name: string }[] {
  return releases
    .filter(
      (hr) =>
        hr.metadata.namespace === source.metadata.namespace &&
        (hr.spec.valuesFrom ?? []).some((r) => r.kind === source.kind && r.name === source.metadata.name),
    )
    .map(nsName);
}

/**
 * Starts the watches; `enqueue` gets each HelmRelease to reconcile. Events from the first list are skipped (every
 * HelmRelease is reconciled when the controller starts anyway). Returns the stop function.
 */
export function watchValuesSources(
  client: ClusterClient,
  releases: () => readonly HelmRelease[],
  enqueue: (type: ResourceType, ref: { namespace: string; name: string }) => void,
): () => void {
  const HR: ResourceType = { apiVersion: fluxKinds.HelmRelease.apiVersion, kind: 'HelmRelease' };
  const stops = VALUES_KINDS.map((kind) => {
    const cache = createWatchCache(client, { apiVersion: 'v1', kind, labelSelector: WATCHED_VALUES_SELECTOR });
    let synced = false;
    void cache.waitForSync().then(
      () => (synced = true),
      () => undefined,
    );
    const off = cache.subscribe((e) => {
      if (!synced || !valuesChanged(e)) return;
      for (const ref of releasesUsing(e.object, releases())) enqueue(HR, ref);
    });
    return () => {
      off();
      cache.close();
    };
  });
  return () => {
    for (const stop of stops) stop();
  };
}
