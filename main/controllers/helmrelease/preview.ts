import type { HelmRelease } from '../../flux/helm.ts';
import { isHelmError, type KubeAccess } from '../../helm/index.ts';
import type { ObjectDiff } from '../../kube/resource-manager.ts';
import { ResourceManager } from '../../kube/resource-manager.ts';
import { type KubeObject, type ObjectRef, refOf } from '../../util/kube-object.ts';
import { HELM_OWNER, manifestObjects } from './drift.ts';
import { releaseKube } from './release-kube.ts';
import { type RenderDeps, type RenderedRelease, renderHelmRelease, type RenderOptions } from './render.ts';

/**
 * What upgrading a HelmRelease would change, without changing anything (`fluxdeck diff helmrelease`, and the
 * editor's preview of HelmRelease edits): the controller's render, dry-run applied object by object as
 * helm-controller's field manager (created / configured with the changed fields and who set each live value /
 * unchanged), plus the objects of the deployed release that the new render no longer has (Helm deletes them on
 * upgrade).
 */
export interface HelmReleasePreview {
  rendered: RenderedRelease;
  diffs: ObjectDiff[];
  /** Objects the dry run refused, with the apiserver's message. */
  errors: { ref: ObjectRef; message: string }[];
  /** In the deployed release but not in the render: deleted by the upgrade (with their apiVersion for reading). */
  removed: (ObjectRef & { apiVersion: string })[];
  /** The release revision compared against; undefined when nothing is installed (everything would be created). */
  revision?: number;
}

export interface PreviewDeps extends RenderDeps {
  /** The cluster context's own access, for the helper to read the deployed release. */
  kubeAccess: () => KubeAccess;
}

const sameRef = (a: ObjectRef, b: ObjectRef): boolean =>
  a.group === b.group && a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;

export async function previewHelmRelease(
  deps: PreviewDeps,
  hr: HelmRelease,
  opts: RenderOptions,
): Promise<HelmReleasePreview> {
  const { client } = deps;
  const { signal } = opts;
  if (hr.spec.kubeConfig) {
    throw new Error('previewing a HelmRelease that deploys to another cluster (spec.kubeConfig) is not supported yet');
  }
  const rendered = await renderHelmRelease(deps, hr, opts);
  const objects = await manifestObjects(client, rendered.manifest, rendered.target.namespace);
  // The dry run acts as the controller would: impersonating spec.serviceAccountName when it is set.
  const sa = hr.spec.serviceAccountName;
  const target = sa
    ? client.impersonate({ serviceAccount: { namespace: hr.metadata.namespace ?? '', name: sa } })
    : client;
  const rm = new ResourceManager(target, { owner: HELM_OWNER });
  const diffs: ObjectDiff[] = [];
  const errors: HelmReleasePreview['errors'] = [];
  for (const result of await rm.diffAll(objects, { signal })) {
    if ('error' in result) errors.push({ ref: result.ref, message: result.error.message });
    else diffs.push(result);
  }
  const deployed = await deployedObjects(deps, hr, rendered, signal);
  const removed = deployed.objects
    .filter((o) => !objects.some((n) => sameRef(refOf(n), refOf(o))))
    .map((o) => ({ ...refOf(o), apiVersion: o.apiVersion }));
  return { rendered, diffs, errors, removed, ...(deployed.revision ? { revision: deployed.revision } : {}) };
}

/** The latest release's manifest objects, read from Helm's storage through the helper; none when not installed. */
async function deployedObjects(
  deps: PreviewDeps,
  hr: HelmRelease,
  rendered: RenderedRelease,
  signal: AbortSignal,
): Promise<{ objects: KubeObject[]; revision?: number }> {
  const kube = await releaseKube(deps.client, hr, deps.kubeAccess, signal);
  try {
    const rel = await deps.helm.call('status', { kube, ...rendered.target, withManifest: true }, { signal });
    const objects = await manifestObjects(deps.client, rel.manifest ?? '', rendered.target.namespace);
    return { objects, revision: rel.version };
  } catch (err) {
    if (isHelmError(err, 'ReleaseNotFound')) return { objects: [] };
    throw err;
  }
}
