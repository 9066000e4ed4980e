/** `kustomize.toolkit.fluxcd.io/v1` Kustomization (kustomize-controller `api/v1/kustomization_types.go`). */
import { parseDuration } from './duration.ts';
import type {
  DependencyReference,
  FluxObject,
  FluxStatus,
  KubeConfigReference,
  LocalObjectReference,
  NamespacedObjectKindReference,
  Selector,
  Snapshot,
} from './meta.ts';

export type KustomizationSourceKind = 'OCIRepository' | 'GitRepository' | 'Bucket' | 'ExternalArtifact';

export interface CrossNamespaceSourceReference {
  apiVersion?: string;
  kind: KustomizationSourceKind;
  name: string;
  /** Defaults to the Kustomization's namespace. */
  namespace?: string;
}

export type DeletionPolicy = 'MirrorPrune' | 'Delete' | 'WaitForTermination' | 'Orphan';

export interface CommonMetadata {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

export interface Decryption {
  provider: 'sops';
  serviceAccountName?: string;
  secretRef?: LocalObjectReference;
}

export interface SubstituteReference {
  kind: 'Secret' | 'ConfigMap';
  name: string;
  /** Missing referenced objects are ignored when true. */
  optional?: boolean;
}

export interface PostBuild {
  /** `WithVariables` (default): only objects using variables are substituted; `Always`. */
  substituteStrategy?: 'WithVariables' | 'Always';
  substitute?: Record<string, string>;
  substituteFrom?: SubstituteReference[];
}

/** A kustomize patch: strategic merge or JSON 6902, applied to the objects the target selects. */
export interface KustomizePatch {
  patch: string;
  target?: Selector;
}

/** A kustomize image override. */
export interface KustomizeImage {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/** CEL health check for custom kinds; evaluated inProgress, failed, then current. */
export interface CustomHealthCheck {
  apiVersion: string;
  kind?: string;
  current: string;
  inProgress?: string;
  failed?: string;
}

/** Fields (JSON pointers) to leave alone in drift detection and apply. */
export interface IgnoreRule {
  paths: string[];
  target?: Selector;
}

export interface KustomizationSpec {
  sourceRef: CrossNamespaceSourceReference;
  /** Relative to the artifact root; empty means the root. */
  path?: string;
  interval: string;
  /** Defaults to interval. */
  retryInterval?: string;
  /** Defaults to interval minus 30s, at least 30s ({@link kustomizationTimeoutMs}). */
  timeout?: string;
  prune: boolean;
  deletionPolicy?: DeletionPolicy;
  /** Health-check every applied object; healthChecks are ignored when true. */
  wait?: boolean;
  healthChecks?: NamespacedObjectKindReference[];
  healthCheckExprs?: CustomHealthCheck[];
  dependsOn?: DependencyReference[];
  targetNamespace?: string;
  namePrefix?: string;
  nameSuffix?: string;
  commonMetadata?: CommonMetadata;
  patches?: KustomizePatch[];
  images?: KustomizeImage[];
  components?: string[];
  ignoreMissingComponents?: boolean;
  postBuild?: PostBuild;
  decryption?: Decryption;
  serviceAccountName?: string;
  kubeConfig?: KubeConfigReference;
  /** Recreate objects whose immutable fields changed. */
  force?: boolean;
  suspend?: boolean;
  ignore?: IgnoreRule[];
  buildMetadata?: ('originAnnotations' | 'transformerAnnotations')[];
}

/** One object applied by a Kustomization: `id` is `<namespace>_<name>_<group>_<kind>`, `v` its version. */
export interface ResourceRef {
  id: string;
  v: string;
}

export interface ResourceInventory {
  entries: ResourceRef[];
}

export interface KustomizationStatus extends FluxStatus {
  lastAppliedRevision?: string;
  /** The OCI `org.opencontainers.image.revision` of the last applied artifact. */
  lastAppliedOriginRevision?: string;
  lastAttemptedRevision?: string;
  inventory?: ResourceInventory;
  /** The last reconciliations, newest first, deduplicated by digest and status. */
  history?: Snapshot[];
}

export type Kustomization = FluxObject<'Kustomization', KustomizationSpec, KustomizationStatus>;

/** The constants of `kustomization_types.go`. */
export const KustomizationDefaults = {
  deletionPolicy: 'MirrorPrune',
  substituteStrategy: 'WithVariables',
  /** The historical message cap of kustomize-controller's API; conditions.ts enforces the CRD's larger limit. */
  maxConditionMessageLength: 20000,
} as const;

/** Annotations and labels kustomize-controller reads on the objects it applies (`fluxcd/pkg/ssa`, §3.6). */
export const KustomizeAnnotation = {
  /** `Override` (default), `Merge`, `IfNotPresent` or `Ignore`. */
  SSA: 'kustomize.toolkit.fluxcd.io/ssa',
  /** `Enabled`: recreate this object when an immutable field changes. */
  Force: 'kustomize.toolkit.fluxcd.io/force',
  /** `Disabled`: never garbage-collect this object. */
  Prune: 'kustomize.toolkit.fluxcd.io/prune',
  /** `disabled`: never apply nor prune this object. */
  Reconcile: 'kustomize.toolkit.fluxcd.io/reconcile',
  /** `disabled`: skip post-build substitution. */
  Substitute: 'kustomize.toolkit.fluxcd.io/substitute',
  /** `Disabled`: skip SOPS decryption. */
  Decrypt: 'kustomize.toolkit.fluxcd.io/decrypt',
  /** Owner labels set on every applied object. */
  NameLabel: 'kustomize.toolkit.fluxcd.io/name',
  NamespaceLabel: 'kustomize.toolkit.fluxcd.io/namespace',
} as const;

/** Timeout of build, apply and health checks: `spec.timeout`, else interval minus 30s; never below 30s (`GetTimeout`). */
export function kustomizationTimeoutMs(spec: Pick<KustomizationSpec, 'interval' | 'timeout'>): number {
  const ms = spec.timeout !== undefined ? parseDuration(spec.timeout) : parseDuration(spec.interval) - 30_000;
  return Math.max(ms, 30_000);
}

/** Requeue delay after a failure: `spec.retryInterval`, else the interval (`GetRetryInterval`). */
export function kustomizationRetryIntervalMs(spec: Pick<KustomizationSpec, 'interval' | 'retryInterval'>): number {
  return parseDuration(spec.retryInterval ?? spec.interval);
}

/** `spec.deletionPolicy` with its default: whether deleting the Kustomization deletes what it applied. */
export function deletesOnFinalize(spec: Pick<KustomizationSpec, 'deletionPolicy' | 'prune'>): boolean {
  const policy = spec.deletionPolicy ?? KustomizationDefaults.deletionPolicy;
  if (policy === 'MirrorPrune') return spec.prune;
  return policy !== 'Orphan';
}

/** The identity kustomize-controller applies with; keeping it means Flux and Fluxdeck own the same fields. */
export const KUSTOMIZE_OWNER = { field: 'kustomize-controller', group: 'kustomize.toolkit.fluxcd.io' };
