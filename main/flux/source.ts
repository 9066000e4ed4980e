/**
 * `source.toolkit.fluxcd.io/v1`: GitRepository, HelmRepository, HelmChart, OCIRepository, Bucket
 * (source-controller `api/v1/*_types.go`).
 */
import type { Artifact } from '../sources/artifacts/artifact.ts';
import { parseDuration } from './duration.ts';
import type { FluxObject, FluxStatus, LocalObjectReference, NamespacedObjectKindReference } from './meta.ts';

/** `.status.artifact` is the one main/sources produces: written to status as it is. */
export type { Artifact } from '../sources/artifacts/artifact.ts';

/** The status shared by every source kind. */
export interface SourceStatus extends FluxStatus {
  artifact?: Artifact;
}

/** Status of the kinds that also publish a stable download URL (all sources but GitRepository). */
export interface SourceStatusWithURL extends SourceStatus {
  /** Dynamic fetch URL of the latest artifact (`<server>/<kind>/<ns>/<name>/latest.tar.gz`). */
  url?: string;
}

/** Source condition types (`api/v1/condition_types.go`). Negative polarity except ArtifactInStorage and SourceVerified. */
export const SourceCondition = {
  ArtifactInStorage: 'ArtifactInStorage',
  ArtifactOutdated: 'ArtifactOutdated',
  SourceVerified: 'SourceVerified',
  FetchFailed: 'FetchFailed',
  BuildFailed: 'BuildFailed',
  StorageOperationFailed: 'StorageOperationFailed',
  /** GitRepository only. */
  IncludeUnavailable: 'IncludeUnavailable',
} as const;

/** Source reasons (`api/v1/condition_types.go` and the per-kind type files). */
export const SourceReason = {
  URLInvalid: 'URLInvalid',
  AuthenticationFailed: 'AuthenticationFailed',
  VerificationError: 'VerificationError',
  DirCreationFailed: 'DirectoryCreationFailed',
  StatOperationFailed: 'StatOperationFailed',
  ReadOperationFailed: 'ReadOperationFailed',
  AcquireLockFailed: 'AcquireLockFailed',
  InvalidPath: 'InvalidPath',
  ArchiveOperationFailed: 'ArchiveOperationFailed',
  SymlinkUpdateFailed: 'SymlinkUpdateFailed',
  ArtifactUpToDate: 'ArtifactUpToDate',
  CacheOperationFailed: 'CacheOperationFailed',
  PatchOperationFailed: 'PatchOperationFailed',
  InvalidSTSConfiguration: 'InvalidSTSConfiguration',
  InvalidProviderConfiguration: 'InvalidProviderConfiguration',
  /** Set on ArtifactOutdated when the upstream revision moved. */
  NewRevision: 'NewRevision',
  GitOperationSucceeded: 'GitOperationSucceeded',
  GitOperationFailed: 'GitOperationFailed',
  OCIPullFailed: 'OCIArtifactPullFailed',
  OCILayerOperationFailed: 'OCIArtifactLayerOperationFailed',
  BucketOperationSucceeded: 'BucketOperationSucceeded',
  BucketOperationFailed: 'BucketOperationFailed',
  IndexationFailed: 'IndexationFailed',
  ChartPullSucceeded: 'ChartPullSucceeded',
  ChartPackageSucceeded: 'ChartPackageSucceeded',
} as const;

/** Default `spec.timeout` of GitRepository, OCIRepository and Bucket (CRD default `60s`). */
export const DEFAULT_SOURCE_TIMEOUT = '60s';

// ---------------------------------------------------------------------------------------------------------------
// GitRepository

export interface GitRepositoryRef {
  branch?: string;
  tag?: string;
  /** Masterminds semver range over the tags; takes precedence over tag. */
  semver?: string;
  /** A full reference (`refs/heads/main`, `refs/pull/420/head`); takes precedence over semver. */
  name?: string;
  /** A commit SHA; highest precedence, may be combined with branch. */
  commit?: string;
}

export type GitVerificationMode = 'head' | 'HEAD' | 'Tag' | 'TagAndHEAD';

export interface GitRepositoryVerification {
  /** Defaults to HEAD; `head` is the legacy spelling of HEAD. */
  mode?: GitVerificationMode;
  secretRef: LocalObjectReference;
}

export interface GitRepositoryInclude {
  repository: LocalObjectReference;
  /** Defaults to the root of the included artifact. */
  fromPath?: string;
  /** Defaults to the included repository's name. */
  toPath?: string;
}

export interface GitRepositorySpec {
  /** `http(s)://` or `ssh://` (scp-like `git@host:path` is not accepted). */
  url: string;
  secretRef?: LocalObjectReference;
  provider?: 'generic' | 'aws' | 'azure' | 'github';
  /** Only with provider azure or aws (CRD-validated). */
  serviceAccountName?: string;
  interval: string;
  /** Defaults to {@link DEFAULT_SOURCE_TIMEOUT}; no hours allowed. */
  timeout?: string;
  ref?: GitRepositoryRef;
  verify?: GitRepositoryVerification;
  proxySecretRef?: LocalObjectReference;
  /** `.gitignore`-syntax patterns; replaces the default exclusion list. */
  ignore?: string;
  suspend?: boolean;
  recurseSubmodules?: boolean;
  include?: GitRepositoryInclude[];
  sparseCheckout?: string[];
}

export interface GitRepositoryStatus extends SourceStatus {
  includedArtifacts?: Artifact[];
  observedIgnore?: string;
  observedRecurseSubmodules?: boolean;
  observedInclude?: GitRepositoryInclude[];
  observedSparseCheckout?: string[];
  /** The verification mode of the last verified artifact. */
  sourceVerificationMode?: GitVerificationMode;
}

export type GitRepository = FluxObject<'GitRepository', GitRepositorySpec, GitRepositoryStatus>;

// ---------------------------------------------------------------------------------------------------------------
// HelmRepository

export interface NamespaceSelector {
  matchLabels?: Record<string, string>;
}

export interface AccessFrom {
  namespaceSelectors: NamespaceSelector[];
}

export interface HelmRepositorySpec {
  /** `http(s)://` for index-based repositories, `oci://` with `type: oci`. */
  url: string;
  secretRef?: LocalObjectReference;
  certSecretRef?: LocalObjectReference;
  passCredentials?: boolean;
  /** Optional here; Flux requeues after 1m when unset. */
  interval?: string;
  insecure?: boolean;
  /** Defaults to 1m (index download and OCI chart pulls). */
  timeout?: string;
  suspend?: boolean;
  accessFrom?: AccessFrom;
  type?: 'default' | 'oci';
  provider?: 'generic' | 'aws' | 'azure' | 'gcp';
}

export type HelmRepositoryStatus = SourceStatusWithURL;

export type HelmRepository = FluxObject<'HelmRepository', HelmRepositorySpec, HelmRepositoryStatus>;

/** HelmRepository's interval when `spec.interval` is unset (`GetRequeueAfter`). */
export const HELM_REPOSITORY_DEFAULT_INTERVAL = '1m0s';

// ---------------------------------------------------------------------------------------------------------------
// HelmChart

export interface OIDCIdentityMatch {
  issuer: string;
  subject: string;
}

/** Signature verification of OCI artifacts (HelmChart, OCIRepository). */
export interface OCIRepositoryVerification {
  provider: 'cosign' | 'notation';
  secretRef?: LocalObjectReference;
  matchOIDCIdentity?: OIDCIdentityMatch[];
}

export interface HelmChartSpec {
  /** Chart name for HelmRepository sources, path for GitRepository and Bucket. */
  chart: string;
  /** Semver range; defaults to `*`; ignored for Git and Bucket sources. */
  version?: string;
  sourceRef: { apiVersion?: string; kind: 'HelmRepository' | 'GitRepository' | 'Bucket'; name: string };
  interval: string;
  reconcileStrategy?: 'ChartVersion' | 'Revision';
  valuesFiles?: string[];
  ignoreMissingValuesFiles?: boolean;
  suspend?: boolean;
  /** Only for HelmRepository sources (CRD-validated). */
  verify?: OCIRepositoryVerification;
}

export interface HelmChartStatus extends SourceStatusWithURL {
  observedSourceArtifactRevision?: string;
  observedChartName?: string;
  observedValuesFiles?: string[];
}

export type HelmChart = FluxObject<'HelmChart', HelmChartSpec, HelmChartStatus>;

// ---------------------------------------------------------------------------------------------------------------
// OCIRepository

export interface OCIRepositoryRef {
  /** `sha256:<hex>`; highest precedence. */
  digest?: string;
  semver?: string;
  /** Regular expression filtering the tags inside the semver range. */
  semverFilter?: string;
  /** Defaults to `latest`. */
  tag?: string;
}

export interface OCILayerSelector {
  mediaType?: string;
  /** `extract` (default) untars the layer; `copy` stores it as it is. */
  operation?: 'extract' | 'copy';
}

export interface OCIRepositorySpec {
  /** `oci://<registry>/<repository>`. */
  url: string;
  ref?: OCIRepositoryRef;
  layerSelector?: OCILayerSelector;
  provider?: 'generic' | 'aws' | 'azure' | 'gcp';
  secretRef?: LocalObjectReference;
  verify?: OCIRepositoryVerification & { trustedRootSecretRef?: LocalObjectReference };
  serviceAccountName?: string;
  certSecretRef?: LocalObjectReference;
  proxySecretRef?: LocalObjectReference;
  interval: string;
  /** Defaults to {@link DEFAULT_SOURCE_TIMEOUT}. */
  timeout?: string;
  ignore?: string;
  insecure?: boolean;
  suspend?: boolean;
}

export interface OCIRepositoryStatus extends SourceStatusWithURL {
  observedIgnore?: string;
  observedLayerSelector?: OCILayerSelector;
}

export type OCIRepository = FluxObject<'OCIRepository', OCIRepositorySpec, OCIRepositoryStatus>;

// ---------------------------------------------------------------------------------------------------------------
// Bucket

export interface BucketSTSSpec {
  provider: 'aws' | 'ldap';
  /** `http(s)://`. */
  endpoint: string;
  secretRef?: LocalObjectReference;
  certSecretRef?: LocalObjectReference;
}

export interface BucketSpec {
  provider?: 'generic' | 'aws' | 'gcp' | 'azure';
  bucketName: string;
  endpoint: string;
  sts?: BucketSTSSpec;
  insecure?: boolean;
  region?: string;
  prefix?: string;
  secretRef?: LocalObjectReference;
  certSecretRef?: LocalObjectReference;
  proxySecretRef?: LocalObjectReference;
  serviceAccountName?: string;
  interval: string;
  /** Defaults to {@link DEFAULT_SOURCE_TIMEOUT}. */
  timeout?: string;
  ignore?: string;
  suspend?: boolean;
}

export interface BucketStatus extends SourceStatusWithURL {
  observedIgnore?: string;
}

export type Bucket = FluxObject<'Bucket', BucketSpec, BucketStatus>;

// ---------------------------------------------------------------------------------------------------------------

export type Source = GitRepository | HelmRepository | HelmChart | OCIRepository | Bucket;

/** A reference from a consumer to a source (`sourceRef` of Kustomization and HelmChart templates). */
export type SourceReference = NamespacedObjectKindReference;

/** A source's timeout in milliseconds: `spec.timeout`, or 60s (the CRD default; HelmRepository's `GetTimeout`). */
export function sourceTimeoutMs(source: { spec: { timeout?: string } }): number {
  return parseDuration(source.spec.timeout ?? DEFAULT_SOURCE_TIMEOUT);
}

/** A source's interval in milliseconds; only HelmRepository may omit it (then 1m). */
export function sourceIntervalMs(source: { spec: { interval?: string } }): number {
  return parseDuration(source.spec.interval ?? HELM_REPOSITORY_DEFAULT_INTERVAL);
}
