/**
 * Installs Fluxdeck's Flux CRDs into a cluster with server-side apply and waits until the apiserver serves them.
 * Where a CRD of the same name exists and is not Fluxdeck's (Flux's own, or installed some other way), it is used as
 * it is and never replaced: the objects belong to whoever runs Flux there.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';

import { isConflict } from '../../kube/kube-error.ts';
import type { KubeObject } from '../../util/kube-object.ts';
import { CRD_API_VERSION, type CustomResourceDefinition, FLUXDECK_LABELS, loadCrdManifests } from './crd-manifests.ts';

/**
 * What installing needs from a Kubernetes client; main/kube's ClusterClient provides it. `tryGet` answers undefined
 * for a missing object; `apply` is a server-side apply (a patch with `application/apply-patch+yaml`).
 */
export interface CrdClient {
  tryGet(
    key: { apiVersion: string; kind: string; name: string },
    opts?: { signal?: AbortSignal },
  ): Promise<KubeObject | undefined>;
  apply(
    obj: KubeObject,
    opts: { fieldManager: string; force?: boolean; dryRun?: boolean; signal?: AbortSignal },
  ): Promise<KubeObject>;
}

/**
 * `installed`: it was missing; `updated`: Fluxdeck's older copy was changed; `unchanged`: Fluxdeck's copy is current
 * (nothing written); `existing`: someone else's CRD, used as it is; `failed`: see `error`.
 */
export type CrdInstallAction = 'installed' | 'updated' | 'unchanged' | 'existing' | 'failed';

/** Who a CRD in the cluster belongs to. */
export type CrdOwner = 'fluxdeck' | 'flux' | 'other';

export interface CrdInstallResult {
  name: string;
  kind: string;
  action: CrdInstallAction;
  /** The owner of the CRD in the cluster after the run (`fluxdeck` for the ones just installed); unset when failed. */
  owner?: CrdOwner;
  /** Versions the CRD in the cluster serves (Fluxdeck's when installed or updated). */
  servedVersions: string[];
  /** Set when dryRun was asked for: the action is what would happen; nothing was written. */
  dryRun: boolean;
  /** Something the user should know, e.g. an existing CRD that does not serve the version Fluxdeck uses. */
  warning?: string;
  error?: Error;
}

export interface InstallFluxCrdsOptions {
  /** Default `fluxdeck`. */
  fieldManager?: string;
  /** Decide and report without writing (uses server-side dry-run for Fluxdeck's own CRDs). */
  dryRun?: boolean;
  /** How long to wait for each written CRD to become Established. Default 60s. */
  establishTimeoutMs?: number;
  signal?: AbortSignal;
  /** The CRDs to install; default the manifests in resources/crds. */
  crds?: CustomResourceDefinition[];
}

export const DEFAULT_FIELD_MANAGER = 'fluxdeck';

/**
 * Installs or updates Fluxdeck's CRDs, leaving other owners' CRDs alone; returns one result per CRD, in manifest
 * order. A CRD that cannot be installed gives a `failed` result rather than stopping the others.
 */
export async function installFluxCrds(
  client: CrdClient,
  options: InstallFluxCrdsOptions = {},
): Promise<CrdInstallResult[]> {
  const crds = options.crds ?? (await loadCrdManifests());
  return Promise.all(
    crds.map((crd) =>
      installRetryingConflicts(client, crd, options).catch((err: unknown): CrdInstallResult => ({
        ...describeCrd(crd),
        action: 'failed',
        dryRun: options.dryRun ?? false,
        error: new Error(`installing CRD ${crd.metadata.name ?? '?'} failed`, { cause: err }),
      })),
    ),
  );
}

/**
 * The apiserver itself writes a CRD's status after each spec change, so the resourceVersion an update carries can be
 * stale without anyone having taken the CRD over: look again, ownership included, and retry a few times.
 */
async function installRetryingConflicts(
  client: CrdClient,
  crd: CustomResourceDefinition,
  options: InstallFluxCrdsOptions,
): Promise<CrdInstallResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await installOne(client, crd, options);
    } catch (err) {
      if (attempt >= 5 || !isConflict(err)) throw err;
    }
  }
}

async function installOne(
  client: CrdClient,
  crd: CustomResourceDefinition,
  options: InstallFluxCrdsOptions,
): Promise<CrdInstallResult> {
  const { signal } = options;
  const dryRun = options.dryRun ?? false;
  const name = crd.metadata.name ?? '';
  const existing = await getCrd(client, name, signal);
  const base = { ...describeCrd(crd), dryRun };
  if (existing && crdOwner(existing) !== 'fluxdeck') return usingExisting(base, existing, storageVersion(crd));
  const applyOpts = { fieldManager: options.fieldManager ?? DEFAULT_FIELD_MANAGER, force: true, signal };
  // Updating carries the resourceVersion we judged ownership on: if Flux takes the CRD over meanwhile, the apply
  // fails with a conflict instead of overwriting Flux's definition.
  const desired = withFluxdeckLabels(crd, existing?.metadata.resourceVersion);
  // A dry-run apply shows the CRD as it would be stored, defaults included, and lets the apiserver validate it.
  const preview = (await client.apply(desired, { ...applyOpts, dryRun: true })) as CustomResourceDefinition;
  if (existing && sameDefinition(preview, existing)) return { ...base, action: 'unchanged', owner: 'fluxdeck' };
  const action = existing ? 'updated' : 'installed';
  if (dryRun) return { ...base, action, owner: 'fluxdeck' };
  await client.apply(desired, applyOpts);
  await waitEstablished(client, name, options.establishTimeoutMs ?? 60_000, signal);
  return { ...base, action, owner: 'fluxdeck' };
}

function usingExisting(
  base: Omit<CrdInstallResult, 'action'>,
  existing: CustomResourceDefinition,
  version: string,
): CrdInstallResult {
  const warning = compatibilityWarning(existing, version);
  return {
    ...base,
    action: 'existing',
    owner: crdOwner(existing),
    servedVersions: servedVersions(existing),
    ...(warning ? { warning } : {}),
  };
}

async function getCrd(
  client: CrdClient,
  name: string,
  signal: AbortSignal | undefined,
): Promise<CustomResourceDefinition | undefined> {
  const key = { apiVersion: CRD_API_VERSION, kind: 'CustomResourceDefinition', name };
  return (await client.tryGet(key, { signal })) as CustomResourceDefinition | undefined;
}

/** Who a CRD found in a cluster belongs to. Flux wins when both label sets are there: Flux has taken it over. */
export function crdOwner(crd: Pick<KubeObject, 'metadata'>): CrdOwner {
  const labels = crd.metadata.labels ?? {};
  if (labels['app.kubernetes.io/part-of'] === 'flux') return 'flux';
  if (labels['app.kubernetes.io/managed-by'] === FLUXDECK_LABELS['app.kubernetes.io/managed-by']) return 'fluxdeck';
  return 'other';
}

/** A warning when an existing CRD does not serve the version Fluxdeck reads and writes. */
export function compatibilityWarning(existing: CustomResourceDefinition, version: string): string | undefined {
  const served = servedVersions(existing);
  if (served.includes(version)) return undefined;
  return (
    `serves ${served.join(', ') || 'no version'} but not ${version}, which Fluxdeck uses: ` +
    `upgrade the Flux installation that owns it`
  );
}

/** True when applying would change nothing that Fluxdeck manages: the spec and the labels and annotations. */
export function sameDefinition(a: CustomResourceDefinition, b: CustomResourceDefinition): boolean {
  return (
    isDeepStrictEqual(a.spec, b.spec) &&
    isDeepStrictEqual(a.metadata.labels ?? {}, b.metadata.labels ?? {}) &&
    isDeepStrictEqual(a.metadata.annotations ?? {}, b.metadata.annotations ?? {})
  );
}

export function servedVersions(crd: CustomResourceDefinition): string[] {
  return crd.spec.versions.filter((v) => v.served).map((v) => v.name);
}

export function storageVersion(crd: CustomResourceDefinition): string {
  return crd.spec.versions.find((v) => v.storage)?.name ?? crd.spec.versions[0]?.name ?? '';
}

export function isEstablished(crd: CustomResourceDefinition): boolean {
  return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
}

function withFluxdeckLabels(crd: CustomResourceDefinition, resourceVersion?: string): CustomResourceDefinition {
  const labels = { ...crd.metadata.labels, ...FLUXDECK_LABELS };
  return { ...crd, metadata: { ...crd.metadata, labels, ...(resourceVersion ? { resourceVersion } : {}) } };
}

function describeCrd(crd: CustomResourceDefinition): Pick<CrdInstallResult, 'name' | 'kind' | 'servedVersions'> {
  return { name: crd.metadata.name ?? '', kind: crd.spec.names.kind, servedVersions: servedVersions(crd) };
}

async function waitEstablished(
  client: CrdClient,
  name: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: CustomResourceDefinition | undefined;
  for (;;) {
    last = await getCrd(client, name, signal);
    if (last && isEstablished(last)) return;
    if (Date.now() > deadline) break;
    await sleep(100, undefined, { signal });
  }
  const names = last?.status?.conditions?.find((c) => c.type === 'NamesAccepted' && c.status !== 'True');
  throw new Error(
    `CRD ${name} was applied but not Established after ${Math.round(timeoutMs / 1000)}s` +
      (names ? `: its names were not accepted (${names.message ?? names.reason ?? 'no reason given'})` : ''),
  );
}
