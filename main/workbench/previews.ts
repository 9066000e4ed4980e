/**
 * What applying a Kustomization would change, from a tree of files: its source's artifact (the panel's Diff tab) or
 * a work tree on disk (the editor's preview before commit). The build is the controller's (the same function, on the
 * same bounded worker pool), the comparison a server-side dry run per object, plus what prune would delete. A
 * HelmRelease the edit changes is rendered as its controller would upgrade it (controllers/helmrelease/render.ts), so
 * a values edit shows what it does to the release's objects. Objects leave main masked: managed fields and server-set metadata dropped, Secret values replaced.
 */
import { stringify } from 'yaml';

import {
  type DiffEntry,
  type FieldChange,
  FluxdeckError,
  type FluxKey,
  type KustomizationDiff,
  type PreviewObject,
} from '../contract/index.ts';
import { manifestObjects } from '../controllers/helmrelease/drift.ts';
import { previewHelmRelease } from '../controllers/helmrelease/preview.ts';
import { buildKustomization, type BuildTree, type BuildWorkers } from '../controllers/kustomization/build.ts';
import { previewKustomization } from '../controllers/kustomization/preview.ts';
import { substitutionVariables } from '../controllers/kustomization/variables.ts';
import type { SourceObject } from '../controllers/source/ports.ts';
import type { HelmRelease } from '../flux/helm.ts';
import { fluxKind, fluxKinds } from '../flux/kinds.ts';
import type { Kustomization } from '../flux/kustomize.ts';
import type { HelmClient, KubeAccess } from '../helm/index.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import { apiVersionOf } from '../kube/inventory.ts';
import { maskForDisplay } from '../kube/object-diff.ts';
import type { ObjectDiff } from '../kube/resource-manager.ts';
import type { ArtifactStore } from '../sources/artifacts/artifact-store.ts';
import { openArtifact } from '../sources/artifacts/open-artifact.ts';
import { errorMessage } from '../util/errors.ts';
import { type KubeObject, type ObjectRef, refOf } from '../util/kube-object.ts';

/**
 * The controller's build of `ks` from `tree` (controllers/kustomization/build.ts), with the post-build variables
 * read from the cluster as the reconciler reads them, on the engine's bounded build pool.
 */
export async function buildForPreview(
  ctx: { workers: BuildWorkers; client: ClusterClient; signal: AbortSignal },
  ks: Kustomization,
  tree: BuildTree,
): Promise<KubeObject[]> {
  const { workers, client, signal } = ctx;
  const vars = await substitutionVariables(client, ks, signal);
  return buildKustomization(workers, ks, tree, { ...(vars && { vars }), signal });
}

/** The kinds whose artifacts a Kustomization builds from. */
const ARTIFACT_SOURCES = new Set(['GitRepository', 'OCIRepository', 'Bucket']);

const plainRef = (r: ObjectRef): ObjectRef => ({ group: r.group, kind: r.kind, namespace: r.namespace, name: r.name });
const yamlOf = (o: KubeObject): string => stringify(o);
const sameRef = (a: ObjectRef, b: ObjectRef): boolean =>
  a.group === b.group && a.kind === b.kind && a.namespace === b.namespace && a.name === b.name;

const ACTIONS: Record<string, PreviewObject['action']> = {
  created: 'create',
  configured: 'update',
  unchanged: 'unchanged',
  skipped: 'skipped',
};

/** What a preview found: the dry run's diffs and refusals, and what would be deleted (prune, or a Helm upgrade). */
interface Found {
  diffs: readonly ObjectDiff[];
  errors: readonly { ref: ObjectRef; message: string }[];
  deleted: readonly (ObjectRef & { apiVersion: string })[];
}

/**
 * Describes every object of a preview: created (with what it would be), updated (live and desired side by side, and
 * the changed fields with who set each live value), unchanged or skipped, refused by the dry run, or deleted (with
 * the live object, when it can be read).
 */
async function describeFound(
  client: ClusterClient,
  found: Found,
  objects: readonly KubeObject[],
  signal: AbortSignal,
): Promise<PreviewObject[]> {
  const built = (ref: ObjectRef): KubeObject | undefined => objects.find((o) => sameRef(refOf(o), ref));
  const out: PreviewObject[] = found.diffs.map((d) => {
    const action = ACTIONS[d.entry.action] ?? 'unchanged';
    const created = action === 'create' ? built(d.entry.ref) : undefined;
    return {
      ref: plainRef(d.entry.ref),
      action,
      ...(d.live && { live: yamlOf(d.live) }),
      ...(d.merged && { desired: yamlOf(d.merged) }),
      ...(created && { desired: yamlOf(maskForDisplay(created)) }),
      ...(d.changes.length > 0 && { changes: d.changes }),
    };
  });
  for (const ref of found.deleted) {
    const live = await client
      .tryGet({ apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace, name: ref.name }, { signal })
      .catch(() => undefined);
    out.push({ ref: plainRef(ref), action: 'delete', ...(live && { live: yamlOf(maskForDisplay(live)) }) });
  }
  for (const e of found.errors) out.push({ ref: plainRef(e.ref), action: 'update', error: e.message });
  return out;
}

/**
 * Dry-runs `objects` (a build of `ks`) and describes every object, plus what prune would delete. With `helm`, a
 * HelmRelease the build changes (or whose valuesFrom ConfigMap or Secret it changes) is rendered as the controller
 * would upgrade it and its objects follow it, marked `renderedBy`.
 */
export async function previewObjects(
  ctx: { client: ClusterClient; signal: AbortSignal; helm?: HelmPreviewDeps | undefined },
  ks: Kustomization,
  objects: KubeObject[],
): Promise<PreviewObject[]> {
  const { client, signal, helm } = ctx;
  const preview = await previewKustomization(client, ks, objects, signal);
  const deleted = preview.pruned.map((r) => ({ ...r, apiVersion: apiVersionOf(r) }));
  const out = await describeFound(client, { ...preview, deleted }, objects, signal);
  if (helm) out.push(...(await previewHelmReleases({ ...helm, client, signal }, objects, out)));
  return out;
}

/** What rendering HelmReleases in a preview needs: the Helm helper, the artifact store, the context's own access. */
export interface HelmPreviewDeps {
  helm: HelmClient;
  store: ArtifactStore;
  kubeAccess: () => KubeAccess;
}

const changedAction = (o: PreviewObject | undefined): boolean => o?.action === 'create' || o?.action === 'update';

/** The HelmReleases of a build whose upgrade the edit changes: their spec, or a ConfigMap/Secret they take values from. */
function changedReleases(objects: readonly KubeObject[], described: readonly PreviewObject[]): HelmRelease[] {
  const found = (o: KubeObject): PreviewObject | undefined => described.find((d) => sameRef(d.ref, refOf(o)));
  const hrGroup = fluxKinds.HelmRelease.apiVersion.split('/')[0];
  return (objects as HelmRelease[]).filter((o) => {
    if ((o as KubeObject).kind !== 'HelmRelease' || refOf(o).group !== hrGroup) return false;
    if (changedAction(found(o))) return true;
    return (o.spec.valuesFrom ?? []).some((ref) =>
      objects.some(
        (v) =>
          v.kind === ref.kind &&
          v.metadata.name === ref.name &&
          v.metadata.namespace === o.metadata.namespace &&
          changedAction(found(v)),
      ),
    );
  });
}

/**
 * Each changed HelmRelease rendered with its new spec (and the build's ConfigMaps and Secrets for valuesFrom) and
 * dry-run against the live objects, as `fluxdeck diff helmrelease`; a render that fails is reported on the
 * HelmRelease's row, and the rest of the preview stands.
 */
async function previewHelmReleases(
  ctx: HelmPreviewDeps & { client: ClusterClient; signal: AbortSignal },
  objects: readonly KubeObject[],
  described: readonly PreviewObject[],
): Promise<PreviewObject[]> {
  const { client, signal, ...deps } = ctx;
  const out: PreviewObject[] = [];
  for (const built of changedReleases(objects, described)) {
    const renderedBy = plainRef(refOf(built));
    try {
      // The spec from the edit, the status (release history) from the cluster: an existing release is upgraded.
      const live = await client.tryGet<HelmRelease>(
        { apiVersion: built.apiVersion, kind: 'HelmRelease', namespace: renderedBy.namespace, name: renderedBy.name },
        { signal },
      );
      const hr: HelmRelease = { ...built, ...(live?.status && { status: live.status }) };
      const p = await previewHelmRelease({ client, ...deps }, hr, { signal, valuesObjects: objects });
      const rendered = await manifestObjects(client, p.rendered.manifest, p.rendered.target.namespace);
      const rows = await describeFound(client, { ...p, deleted: p.removed }, rendered, signal);
      out.push(...rows.map((r) => ({ ...r, renderedBy })));
    } catch (err) {
      if (signal.aborted) throw err;
      out.push({
        ref: renderedBy,
        action: 'update',
        renderedBy,
        error: `The render of HelmRelease ${renderedBy.namespace}/${renderedBy.name} failed: ${errorMessage(err)}`,
      });
    }
  }
  return out;
}

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** One line per changed field, as the panel's Diff tab shows it (and as `fluxdeck diff` prints it). */
export function describeChanges(changes: readonly FieldChange[]): string {
  return changes
    .map((c) => {
      const who = c.manager ? `  (set by ${c.manager})` : '';
      if (c.op === 'added') return `+ ${c.path}: ${show(c.desired)}`;
      if (c.op === 'removed') return `- ${c.path}: ${show(c.live)}${who}`;
      return `~ ${c.path}: ${show(c.live)} → ${show(c.desired)}${who}`;
    })
    .join('\n');
}

/** The Diff tab's entries (one line per field) from the preview's objects. */
export function diffEntries(objects: readonly PreviewObject[]): DiffEntry[] {
  return objects.map((o) => ({
    ref: o.ref,
    action: o.action === 'skipped' ? 'unchanged' : o.action,
    ...(o.changes && o.changes.length > 0 && { diff: describeChanges(o.changes) }),
    ...(o.error !== undefined && { error: o.error }),
  }));
}

/**
 * What applying the Kustomization's current source artifact would change (the panel's Diff tab, like
 * `flux diff kustomization`): the reconciler's build of the artifact in this machine's store, dry-run against the
 * cluster, plus what prune would delete.
 */
export async function previewAgainstArtifact(
  deps: { store: ArtifactStore; builds: BuildWorkers },
  client: ClusterClient,
  key: FluxKey,
  signal: AbortSignal,
): Promise<Omit<KustomizationDiff, 'key'>> {
  const kind = fluxKinds.Kustomization;
  const ks = await client.get<Kustomization>(
    { apiVersion: kind.apiVersion, kind: kind.kind, namespace: key.namespace, name: key.name },
    { signal },
  );
  const ref = ks.spec.sourceRef;
  const what = `${ref.kind} ${ref.namespace ?? key.namespace}/${ref.name}`;
  const sourceKind = ARTIFACT_SOURCES.has(ref.kind) ? fluxKind(ref.kind) : undefined;
  if (!sourceKind)
    throw new FluxdeckError(
      'unavailable',
      `${ref.kind} is not a source Fluxdeck builds from, so it cannot diff against ${what}.`,
    );
  const source = await client.get<SourceObject>(
    { apiVersion: sourceKind.apiVersion, kind: ref.kind, namespace: ref.namespace ?? key.namespace, name: ref.name },
    { signal },
  );
  const artifact = source.status?.artifact;
  if (!artifact || !(await deps.store.exists(artifact)))
    throw new FluxdeckError(
      'unavailable',
      `${what} has no artifact on this machine yet: reconcile the Kustomization with its source (Shift+S), then diff again.`,
    );
  const { files } = await openArtifact(deps.store, artifact);
  const objects = await buildForPreview({ workers: deps.builds, client, signal }, ks, { files });
  return { revision: artifact.revision, entries: diffEntries(await previewObjects({ client, signal }, ks, objects)) };
}
