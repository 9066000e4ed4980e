/**
 * What applying a Kustomization would change, from a tree of files: its source's artifact (the panel's Diff tab) or
 * a work tree on disk (the editor's preview before commit). The build is the controller's (the same function, on the
 * same bounded worker pool), the comparison a server-side dry run per object, plus what prune would delete.
 * Objects leave main masked: managed fields and server-set metadata dropped, Secret values replaced.
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
import { buildKustomization, type BuildTree, type BuildWorkers } from '../controllers/kustomization/build.ts';
import { previewKustomization } from '../controllers/kustomization/preview.ts';
import { substitutionVariables } from '../controllers/kustomization/variables.ts';
import type { SourceObject } from '../controllers/source/ports.ts';
import { fluxKind, fluxKinds } from '../flux/kinds.ts';
import type { Kustomization } from '../flux/kustomize.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import { apiVersionOf } from '../kube/inventory.ts';
import { maskForDisplay } from '../kube/object-diff.ts';
import type { ArtifactStore } from '../sources/artifacts/artifact-store.ts';
import { openArtifact } from '../sources/artifacts/open-artifact.ts';
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

/**
 * Dry-runs `objects` (a build of `ks`) and describes every object: created (with what it would be), updated (live
 * and desired side by side, and the changed fields with who set each live value), unchanged or skipped, refused by
 * the dry run, or deleted by prune (with the live object, when it can be read).
 */
export async function previewObjects(
  client: ClusterClient,
  ks: Kustomization,
  objects: KubeObject[],
  signal: AbortSignal,
): Promise<PreviewObject[]> {
  const preview = await previewKustomization(client, ks, objects, signal);
  const built = (ref: ObjectRef): KubeObject | undefined => objects.find((o) => sameRef(refOf(o), ref));
  const out: PreviewObject[] = preview.diffs.map((d) => {
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
  for (const ref of preview.pruned) {
    const live = await client
      .tryGet({ apiVersion: apiVersionOf(ref), kind: ref.kind, namespace: ref.namespace, name: ref.name }, { signal })
      .catch(() => undefined);
    out.push({ ref: plainRef(ref), action: 'delete', ...(live && { live: yamlOf(maskForDisplay(live)) }) });
  }
  for (const e of preview.errors) out.push({ ref: plainRef(e.ref), action: 'update', error: e.message });
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
  return { revision: artifact.revision, entries: diffEntries(await previewObjects(client, ks, objects, signal)) };
}
