import { parseAllDocuments } from 'yaml';

import { HELM_CONTROLLER } from '../../flux/helm.ts';
import type { ChangeSetEntry } from '../../kube/change-set.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import { ResourceManager } from '../../kube/resource-manager.ts';
import type { KubeObject } from '../../util/kube-object.ts';
import { differsOnlyAtIgnored, ignoredPointers, type IgnoreRule, keepIgnoredFromLive } from './drift-ignore.ts';

/**
 * Drift detection of a Helm release (flux-behaviour.md §4.3): the manifest in Helm's storage (not a new render) is
 * compared with the cluster by a server-side dry-run apply as helm-controller, so defaults never count as drift.
 * Objects labelled or annotated `helm.toolkit.fluxcd.io/driftDetection: disabled` are left out.
 */

const DISABLED_KEY = 'helm.toolkit.fluxcd.io/driftDetection';
/** helm-controller's field manager and owner group: drift, its correction and previews dry-run as it applies. */
export const HELM_OWNER = { field: HELM_CONTROLLER, group: 'helm.toolkit.fluxcd.io' };

export interface ReleaseDrift {
  /** Objects that would be created or changed. */
  drifted: ChangeSetEntry[];
  /** Their desired state (from the stored manifest), for correction. */
  objects: KubeObject[];
}

const disabled = (o: KubeObject): boolean =>
  o.metadata.labels?.[DISABLED_KEY] === 'disabled' || o.metadata.annotations?.[DISABLED_KEY] === 'disabled';

/**
 * The release manifest's objects, namespaced ones defaulted to the release namespace as Helm does; for drift
 * detection (`forDrift`), without those that opt out of it.
 */
export async function manifestObjects(
  client: ClusterClient,
  manifest: string,
  namespace: string,
  opts: { forDrift?: boolean } = {},
): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(manifest)) {
    const obj = doc.toJS() as KubeObject | null;
    if (!obj?.kind || !obj.apiVersion || (opts.forDrift && disabled(obj))) continue;
    const info = await client.mapper.resolve(obj.apiVersion, obj.kind);
    if (info.namespaced && !obj.metadata.namespace) obj.metadata = { ...obj.metadata, namespace };
    out.push(obj);
  }
  return out;
}

/**
 * What of `objects` (the stored manifest) the cluster no longer matches. `ignore` (driftDetection.ignore) leaves
 * paths out: an object that differs only there is not drifted, and its correction keeps the cluster's values there.
 */
export async function releaseDrift(
  client: ClusterClient,
  objects: KubeObject[],
  signal: AbortSignal,
  ignore: readonly IgnoreRule[] = [],
): Promise<ReleaseDrift> {
  const rm = new ResourceManager(client, { owner: HELM_OWNER });
  const diffs = await rm.diffAll(objects, { signal });
  const drifted: ChangeSetEntry[] = [];
  const desired: KubeObject[] = [];
  for (const d of diffs) {
    if ('error' in d) throw d.error;
    if (d.entry.action !== 'created' && d.entry.action !== 'configured') continue;
    const { ref } = d.entry;
    const obj = objects.find(
      (o) => o.kind === ref.kind && o.metadata.name === ref.name && (o.metadata.namespace ?? '') === ref.namespace,
    );
    if (!obj) continue;
    const pointers = ignoredPointers(ignore, obj);
    if (d.entry.action === 'configured' && differsOnlyAtIgnored(d.live, d.merged, pointers)) continue;
    drifted.push(d.entry);
    desired.push(pointers.length > 0 ? await withLiveAtIgnored(client, obj, pointers, signal) : obj);
  }
  return { drifted, objects: desired };
}

/** The object to correct drift with, keeping the (unmasked) live values at ignored paths. */
async function withLiveAtIgnored(
  client: ClusterClient,
  obj: KubeObject,
  pointers: readonly string[],
  signal: AbortSignal,
): Promise<KubeObject> {
  const live = await client.tryGet(
    {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      namespace: obj.metadata.namespace ?? '',
      name: obj.metadata.name ?? '',
    },
    { signal },
  );
  return live ? keepIgnoredFromLive(obj, live, pointers) : obj;
}

/** Puts drifted objects back (mode `enabled`): applied as helm-controller, taking the fields back. */
export function correctDrift(
  client: ClusterClient,
  objects: KubeObject[],
  signal: AbortSignal,
): Promise<ChangeSetEntry[]> {
  const rm = new ResourceManager(client, { owner: HELM_OWNER });
  return rm.applyAll(objects, { ...rm.policy(true), signal, verify: true });
}
