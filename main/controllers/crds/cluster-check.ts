/**
 * `fluxdeck check`, as `flux check` does it: before installing (`--pre`), the cluster's version and what Fluxdeck
 * needs to be allowed to do; after, the CRDs (installed, served at the versions Fluxdeck uses), Flux's controllers
 * (Deployments and, as live evidence, their Leases: who reconciles), and the sources' readiness. Each check is a line;
 * a failed one makes the command exit 1.
 */
import { isReady } from '../../flux/conditions.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import type { FluxStatus } from '../../flux/meta.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import { errorMessage } from '../../util/errors.ts';
import type { KubeObject } from '../../util/kube-object.ts';
import { CRD_API_VERSION, type CustomResourceDefinition, loadCrdManifests } from './crd-manifests.ts';
import { bootstrapChoice, detectFluxControllers, type FluxControllerDeployment } from './detect-flux.ts';
import { compatibilityWarning, crdOwner, isEstablished, storageVersion } from './install-flux-crds.ts';
import { type LeaseLike, liveFluxLeases, type LiveLease, type WhoReconciles, whoReconciles } from './who-reconciles.ts';

export interface CheckLine {
  status: 'ok' | 'warn' | 'fail';
  text: string;
}

/** The oldest Kubernetes Flux 2.7+ supports (`flux check --pre`'s constraint). */
export const MIN_KUBERNETES = '1.32.0';

/** What Fluxdeck must be allowed to do in a cluster, asked with SelfSubjectAccessReviews. */
const NEEDED: { verb: string; group: string; resource: string; subresource?: string; namespace?: string }[] = [
  { verb: 'create', group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions' },
  { verb: 'list', group: 'coordination.k8s.io', resource: 'leases' },
  { verb: 'create', group: 'coordination.k8s.io', resource: 'leases', namespace: 'kube-system' },
  { verb: 'list', group: 'apps', resource: 'deployments' },
  { verb: 'patch', group: 'kustomize.toolkit.fluxcd.io', resource: 'kustomizations', subresource: 'status' },
  { verb: 'patch', group: 'source.toolkit.fluxcd.io', resource: 'gitrepositories', subresource: 'status' },
  { verb: 'create', group: '', resource: 'events' },
];

/** `major.minor.patch` compared numerically; a `v` prefix and `+build`/`-pre` suffixes are ignored. */
export function versionAtLeast(version: string, min: string): boolean {
  const parts = (v: string): number[] =>
    v
      .replace(/^v/, '')
      .split(/[+-]/)[0]
      ?.split('.')
      .map((n) => Number.parseInt(n, 10) || 0) ?? [];
  const a = parts(version);
  const b = parts(min);
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

export async function preChecks(client: ClusterClient, signal?: AbortSignal): Promise<CheckLine[]> {
  const lines = [await kubernetesVersion(client, signal)];
  for (const n of NEEDED) lines.push(await access(client, n));
  return lines;
}

async function kubernetesVersion(client: ClusterClient, signal?: AbortSignal): Promise<CheckLine> {
  try {
    const res = await client.transport.request({ method: 'GET', path: '/version', ...(signal ? { signal } : {}) });
    const version = (JSON.parse(res.body) as { gitVersion?: string }).gitVersion ?? 'unknown';
    return versionAtLeast(version, MIN_KUBERNETES)
      ? { status: 'ok', text: `Kubernetes ${version} >=${MIN_KUBERNETES}` }
      : {
          status: 'fail',
          text: `Kubernetes ${version} <${MIN_KUBERNETES}: Flux's APIs need ${MIN_KUBERNETES} or newer`,
        };
  } catch (err) {
    return { status: 'fail', text: `cannot read the Kubernetes version: ${errorMessage(err)}` };
  }
}

type Needed = (typeof NEEDED)[number];

function describeAccess(n: Needed): string {
  const resource = `${n.resource}${n.subresource ? `/${n.subresource}` : ''}${n.group ? `.${n.group}` : ''}`;
  return `${n.verb} ${resource}${n.namespace ? ` in ${n.namespace}` : ' (all namespaces)'}`;
}

async function access(client: ClusterClient, n: Needed): Promise<CheckLine> {
  const what = describeAccess(n);
  try {
    const review = await client.create<KubeObject & { status?: { allowed?: boolean; reason?: string } }>({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: { resourceAttributes: { ...n } },
    });
    if (review.status?.allowed) return { status: 'ok', text: `allowed to ${what}` };
    const reason = review.status?.reason ? `: ${review.status.reason}` : '';
    return { status: 'fail', text: `not allowed to ${what}${reason}` };
  } catch (err) {
    return { status: 'fail', text: `cannot check whether it may ${what}: ${errorMessage(err)}` };
  }
}

export async function installChecks(
  client: ClusterClient,
  opts: { leaseNamespace: string; identity?: string; signal?: AbortSignal },
): Promise<CheckLine[]> {
  return [
    ...(await crdChecks(client, opts.signal)),
    ...(await controllerChecks(client, opts)),
    ...(await sourceChecks(client, opts.signal)),
  ];
}

async function crdChecks(client: ClusterClient, signal?: AbortSignal): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  for (const want of await loadCrdManifests()) {
    const name = want.metadata.name ?? '';
    const version = storageVersion(want);
    const have = await client.tryGet<CustomResourceDefinition>(
      { apiVersion: CRD_API_VERSION, kind: 'CustomResourceDefinition', name },
      signal ? { signal } : {},
    );
    if (!have) {
      lines.push({ status: 'fail', text: `${name}: not installed; run fluxdeck install` });
      continue;
    }
    const warning = compatibilityWarning(have, version);
    const owner = crdOwner(have) === 'flux' ? "Flux's" : crdOwner(have) === 'fluxdeck' ? "Fluxdeck's" : 'third-party';
    if (warning) lines.push({ status: 'fail', text: `${name}: ${warning}` });
    else if (!isEstablished(have)) lines.push({ status: 'fail', text: `${name}: not established yet` });
    else lines.push({ status: 'ok', text: `${name} (${owner}, serves ${version})` });
  }
  return lines;
}

async function controllerChecks(
  client: ClusterClient,
  opts: { leaseNamespace: string; identity?: string; signal?: AbortSignal },
): Promise<CheckLine[]> {
  const signal = opts.signal ? { signal: opts.signal } : {};
  const [detection, choice, leases] = await Promise.all([
    detectFluxControllers(client, signal).catch(() => undefined),
    bootstrapChoice(client, opts.signal ?? new AbortController().signal),
    client
      .list({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }, signal)
      .then((l) => l.items as LeaseLike[])
      .catch(() => undefined),
  ]);
  if (!leases) return [{ status: 'fail', text: 'cannot list Leases: who reconciles this cluster is unknown' }];
  const now = Date.now();
  const deployments = detection?.deployments ?? [];
  const version = deployments.find((d) => d.version)?.version;
  const who = whoReconciles({
    leases,
    now,
    identity: opts.identity ?? '',
    leaseNamespace: opts.leaseNamespace,
    ...(version ? { fluxVersion: version } : {}),
    ...choice,
  });
  return [...controllerLines(deployments, liveFluxLeases(leases, now)), reconcilerLine(who, version)];
}

/** A line per Flux controller: its Deployment's readiness and, the live evidence, its Lease's holder. */
function controllerLines(deployments: FluxControllerDeployment[], live: LiveLease[]): CheckLine[] {
  const lines: CheckLine[] = deployments.map((d) => {
    const lease = live.find((l) => l.controller === d.controller);
    const leader = lease ? `leader ${lease.holder}` : 'no live leader-election Lease';
    return {
      status: lease ? 'ok' : 'warn',
      text: `${d.controller}${d.version ? ` ${d.version}` : ''} in ${d.namespace}: ${d.readyReplicas}/${d.replicas} ready, ${leader}`,
    };
  });
  for (const l of live.filter((x) => !deployments.some((d) => d.controller === x.controller)))
    lines.push({
      status: 'ok',
      text: `${l.controller} in ${l.namespace}: leader ${l.holder} (no Deployment: runs outside)`,
    });
  return lines;
}

function reconcilerLine(who: WhoReconciles, version: string | undefined): CheckLine {
  // In-cluster Flux was chosen at bootstrap but none of its controllers renews a Lease: nobody reconciles.
  if (who.action === 'observe' && who.flux.length === 0)
    return { status: 'warn', text: `reconciled by: ${who.message}` };
  const name = who.reconciler === 'flux' ? `in-cluster Flux${version ? ` ${version}` : ''}` : who.reconciler;
  const detail =
    who.reconciler === 'both'
      ? ` (${who.message})`
      : who.fluxdeckHolder
        ? ` (Fluxdeck instance ${who.fluxdeckHolder})`
        : '';
  const status = who.reconciler === 'both' ? 'fail' : who.reconciler === 'none' ? 'warn' : 'ok';
  return { status, text: `reconciled by: ${name}${detail}` };
}

async function sourceChecks(client: ClusterClient, signal?: AbortSignal): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  for (const kind of [fluxKinds.GitRepository, fluxKinds.OCIRepository, fluxKinds.Bucket, fluxKinds.HelmRepository]) {
    const list = await client
      .list({ apiVersion: kind.apiVersion, kind: kind.kind }, signal ? { signal } : {})
      .catch(() => undefined);
    for (const s of list?.items ?? []) lines.push(sourceLine(kind.kind, s));
  }
  return lines;
}

function sourceLine(kind: string, s: KubeObject): CheckLine {
  const conditions = (s.status as FluxStatus | undefined)?.conditions;
  const message = conditions?.find((c) => c.type === 'Ready')?.message ?? 'not reconciled yet';
  return {
    status: isReady(conditions) ? 'ok' : 'fail',
    text: `${kind} ${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}: ${message}`,
  };
}

/** One line per check: ✔ passed, ⚠ worth a look, ✗ failed. */
export function formatChecks(title: string, lines: CheckLine[]): string {
  const mark = { ok: '✔', warn: '⚠', fail: '✗' } as const;
  return [`► ${title}`, ...lines.map((l) => `${mark[l.status]} ${l.text}`)].join('\n') + '\n';
}
