/**
 * `fluxdeck uninstall`, as `flux uninstall` does it: Flux's controllers first (Deployments, Services,
 * NetworkPolicies, ServiceAccounts in the namespace; ClusterRoles and ClusterRoleBindings; all labelled
 * `app.kubernetes.io/part-of: flux`, as an in-cluster bootstrap or `flux install` writes them), so nothing reconciles
 * while the rest goes; then the finalizers come off every Flux object first, so deleting
 * them (directly, or with their CRDs) never prunes what they applied: the workloads stay in the cluster. Then the
 * CRDs go (unless kept), Fluxdeck's Lease, and the namespace (unless kept). `dryRun` reports without writing.
 */
import { fluxKinds } from '../../flux/kinds.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import { isKubeError, isNotFound } from '../../kube/kube-error.ts';
import { errorMessage } from '../../util/errors.ts';
import { CRD_API_VERSION, loadCrdManifests } from './crd-manifests.ts';
import { FLUXDECK_LEASE, RECONCILER_LABEL } from './who-reconciles.ts';

export interface UninstallOptions {
  /** Keep the CRDs (and with them the Flux objects, finalizers removed). */
  keepCrds: boolean;
  /** Keep the namespace (default flux-system). */
  keepNamespace: boolean;
  namespace: string;
  leaseNamespace: string;
  dryRun: boolean;
  signal?: AbortSignal;
}

export interface UninstallStep {
  status: 'done' | 'planned' | 'skipped' | 'failed';
  text: string;
}

/** The kinds whose objects carry Flux's finalizer. */
const KINDS = [
  fluxKinds.Kustomization,
  fluxKinds.HelmRelease,
  fluxKinds.GitRepository,
  fluxKinds.OCIRepository,
  fluxKinds.Bucket,
  fluxKinds.HelmRepository,
  fluxKinds.HelmChart,
];

/** What `flux uninstall` deletes of the controllers, by the `part-of: flux` label: namespaced, then cluster-wide. */
const COMPONENT_KINDS = [
  { apiVersion: 'apps/v1', kind: 'Deployment', namespaced: true },
  { apiVersion: 'v1', kind: 'Service', namespaced: true },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespaced: true },
  { apiVersion: 'v1', kind: 'ServiceAccount', namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', namespaced: false },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', namespaced: false },
];
const FLUX_SELECTOR = 'app.kubernetes.io/part-of=flux';

export async function uninstall(client: ClusterClient, opts: UninstallOptions): Promise<UninstallStep[]> {
  const steps: UninstallStep[] = [];
  for (const kind of COMPONENT_KINDS) steps.push(...(await removeComponents(client, kind, opts)));
  for (const kind of KINDS) steps.push(...(await releaseFinalizers(client, kind, opts)));
  if (opts.keepCrds) steps.push({ status: 'skipped', text: 'CRDs kept (--keep-crds)' });
  else
    for (const crd of await loadCrdManifests()) {
      const name = crd.metadata.name ?? '';
      const key = { apiVersion: CRD_API_VERSION, kind: 'CustomResourceDefinition', name };
      steps.push(await remove(client, key, `CRD ${name}`, opts));
    }
  const lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    namespace: opts.leaseNamespace,
    name: FLUXDECK_LEASE,
  };
  steps.push(await remove(client, lease, `Lease ${opts.leaseNamespace}/${FLUXDECK_LEASE}`, opts));
  const ns = { apiVersion: 'v1', kind: 'Namespace', name: opts.namespace };
  steps.push(
    opts.keepNamespace
      ? await forgetChoice(client, opts)
      : await remove(client, ns, `namespace ${opts.namespace}`, opts),
  );
  return steps;
}

/** Deletes the controllers' objects of one kind (Flux's label, in the namespace for namespaced kinds). */
async function removeComponents(
  client: ClusterClient,
  kind: (typeof COMPONENT_KINDS)[number],
  opts: UninstallOptions,
): Promise<UninstallStep[]> {
  const list = await client
    .list(
      { apiVersion: kind.apiVersion, kind: kind.kind },
      {
        labelSelector: FLUX_SELECTOR,
        ...(kind.namespaced ? { namespace: opts.namespace } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
    )
    .catch((err: unknown) => err as Error);
  if (list instanceof Error)
    return [{ status: 'failed', text: `cannot list Flux's ${kind.kind}s: ${errorMessage(list)}` }];
  return Promise.all(
    list.items.map((obj) => {
      const name = obj.metadata.name ?? '';
      const key = {
        apiVersion: kind.apiVersion,
        kind: kind.kind,
        name,
        ...(kind.namespaced ? { namespace: opts.namespace } : {}),
      };
      return remove(client, key, `${kind.kind} ${kind.namespaced ? `${opts.namespace}/` : ''}${name}`, opts);
    }),
  );
}

/**
 * A kept namespace loses the bootstrap's choice of engine: with the controllers gone, a stale `in-cluster` would keep
 * every Fluxdeck observing a cluster nobody reconciles.
 */
async function forgetChoice(client: ClusterClient, opts: UninstallOptions): Promise<UninstallStep> {
  const kept: UninstallStep = { status: 'skipped', text: `namespace ${opts.namespace} kept (--keep-namespace)` };
  const key = { apiVersion: 'v1', kind: 'Namespace', name: opts.namespace };
  try {
    const ns = await client.tryGet(key, opts.signal ? { signal: opts.signal } : {});
    if (ns?.metadata.labels?.[RECONCILER_LABEL] === undefined) return kept;
    if (!opts.dryRun) await client.patch(key, { metadata: { labels: { [RECONCILER_LABEL]: null } } }, 'merge');
    return {
      status: opts.dryRun ? 'planned' : 'done',
      text: `namespace ${opts.namespace} kept (--keep-namespace); its ${RECONCILER_LABEL} label removed`,
    };
  } catch (err) {
    return {
      status: 'failed',
      text: `cannot remove the ${RECONCILER_LABEL} label of ${opts.namespace}: ${errorMessage(err)}`,
    };
  }
}

/** Takes the finalizers off every object of a kind, so deleting it prunes nothing it applied. */
async function releaseFinalizers(
  client: ClusterClient,
  kind: { apiVersion: string; kind: string },
  opts: UninstallOptions,
): Promise<UninstallStep[]> {
  const signal = opts.signal ? { signal: opts.signal } : {};
  const list = await client.list({ apiVersion: kind.apiVersion, kind: kind.kind }, signal).catch((err: unknown) => {
    if (isKubeError(err, 'UnknownKind') || isNotFound(err)) return undefined;
    throw err;
  });
  const held = (list?.items ?? []).filter((o) => (o.metadata.finalizers ?? []).length > 0);
  return Promise.all(
    held.map(async (obj): Promise<UninstallStep> => {
      const namespace = obj.metadata.namespace ?? '';
      const name = obj.metadata.name ?? '';
      const id = `${kind.kind} ${namespace}/${name}`;
      try {
        if (!opts.dryRun)
          await client.patch({ ...kind, namespace, name }, { metadata: { finalizers: null } }, 'merge', signal);
        return { status: opts.dryRun ? 'planned' : 'done', text: `finalizers removed from ${id}` };
      } catch (err) {
        return { status: 'failed', text: `cannot remove the finalizers of ${id}: ${errorMessage(err)}` };
      }
    }),
  );
}

async function remove(
  client: ClusterClient,
  key: { apiVersion: string; kind: string; name: string; namespace?: string },
  what: string,
  opts: UninstallOptions,
): Promise<UninstallStep> {
  try {
    const existing = await client.tryGet(key, opts.signal ? { signal: opts.signal } : {});
    if (!existing) return { status: 'skipped', text: `${what} not found` };
    if (opts.dryRun) return { status: 'planned', text: `${what} deleted` };
    await client.delete(key, opts.signal ? { signal: opts.signal } : {});
    return { status: 'done', text: `${what} deleted` };
  } catch (err) {
    if (isNotFound(err)) return { status: 'skipped', text: `${what} not found` };
    return { status: 'failed', text: `cannot delete ${what}: ${errorMessage(err)}` };
  }
}
