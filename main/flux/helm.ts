/** `helm.toolkit.fluxcd.io/v2` HelmRelease (helm-controller `api/v2/helmrelease_types.go`). */
import { createHash } from 'node:crypto';

import { parseDuration } from './duration.ts';
import type {
  CommonMetadata,
  CustomHealthCheck,
  KustomizeImage,
  KustomizePatch,
  ResourceInventory,
} from './kustomize.ts';
import type {
  DependencyReference,
  FluxObject,
  FluxStatus,
  KubeConfigReference,
  LocalObjectReference,
  Selector,
  ValuesReference,
} from './meta.ts';

/** The HelmChart the controller creates (in the source's namespace, named `<hr namespace>-<hr name>`). */
export interface HelmChartTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    chart: string;
    /** Defaults to `*`. */
    version?: string;
    sourceRef: {
      apiVersion?: string;
      kind: 'HelmRepository' | 'GitRepository' | 'Bucket';
      name: string;
      namespace?: string;
    };
    /** Defaults to the HelmRelease's interval. */
    interval?: string;
    reconcileStrategy?: 'ChartVersion' | 'Revision';
    valuesFiles?: string[];
    ignoreMissingValuesFiles?: boolean;
    verify?: { provider: 'cosign' | 'notation'; secretRef?: LocalObjectReference };
  };
}

export interface HelmChartReference {
  apiVersion?: string;
  kind: 'OCIRepository' | 'HelmChart' | 'ExternalArtifact';
  name: string;
  namespace?: string;
}

export type CRDsPolicy = 'Skip' | 'Create' | 'CreateReplace';

export interface HelmStrategy {
  name: 'RemediateOnFailure' | 'RetryOnFailure';
  retryInterval?: string;
}

export interface InstallRemediation {
  /** Negative: retry forever. */
  retries?: number;
  ignoreTestFailures?: boolean;
  remediateLastFailure?: boolean;
}

export interface UpgradeRemediation extends InstallRemediation {
  strategy?: 'rollback' | 'uninstall';
}

interface HelmActionOptions {
  timeout?: string;
  disableWait?: boolean;
  disableWaitForJobs?: boolean;
  disableHooks?: boolean;
}

export interface HelmInstall extends HelmActionOptions {
  remediation?: InstallRemediation;
  strategy?: HelmStrategy;
  disableOpenAPIValidation?: boolean;
  disableSchemaValidation?: boolean;
  disableTakeOwnership?: boolean;
  replace?: boolean;
  /** Deprecated: use `crds: Skip`. */
  skipCRDs?: boolean;
  /** Defaults to Create. */
  crds?: CRDsPolicy;
  createNamespace?: boolean;
  serverSideApply?: boolean;
}

export interface HelmUpgrade extends HelmActionOptions {
  remediation?: UpgradeRemediation;
  strategy?: HelmStrategy;
  disableOpenAPIValidation?: boolean;
  disableSchemaValidation?: boolean;
  disableTakeOwnership?: boolean;
  force?: boolean;
  preserveValues?: boolean;
  cleanupOnFail?: boolean;
  /** Defaults to Skip. */
  crds?: CRDsPolicy;
  serverSideApply?: 'enabled' | 'disabled' | 'auto';
  chartNameChangeStrategy?: 'InPlaceUpdate' | 'Reinstall';
}

export interface HelmTest {
  enable?: boolean;
  timeout?: string;
  ignoreFailures?: boolean;
  filters?: { name: string; exclude?: boolean }[];
}

export interface HelmRollback extends HelmActionOptions {
  recreate?: boolean;
  force?: boolean;
  cleanupOnFail?: boolean;
  serverSideApply?: 'enabled' | 'disabled' | 'auto';
}

export interface HelmUninstall {
  timeout?: string;
  disableHooks?: boolean;
  keepHistory?: boolean;
  disableWait?: boolean;
  deletionPropagation?: 'background' | 'foreground' | 'orphan';
}

export interface DriftDetection {
  /** Defaults to disabled. */
  mode?: 'enabled' | 'warn' | 'disabled';
  ignore?: { paths: string[]; target?: Selector }[];
}

export interface HelmReleaseSpec {
  chart?: HelmChartTemplate;
  /** Exactly one of chart and chartRef (CRD-validated). */
  chartRef?: HelmChartReference;
  interval: string;
  kubeConfig?: KubeConfigReference;
  suspend?: boolean;
  releaseName?: string;
  targetNamespace?: string;
  storageNamespace?: string;
  dependsOn?: DependencyReference[];
  /** Per Helm action; defaults to 5m0s. */
  timeout?: string;
  /** Defaults to 5; 0 keeps every revision. */
  maxHistory?: number;
  serviceAccountName?: string;
  /** Defaults to true. */
  persistentClient?: boolean;
  driftDetection?: DriftDetection;
  install?: HelmInstall;
  upgrade?: HelmUpgrade;
  test?: HelmTest;
  rollback?: HelmRollback;
  uninstall?: HelmUninstall;
  valuesFrom?: (ValuesReference & { literal?: boolean })[];
  values?: Record<string, unknown>;
  postRenderers?: { kustomize?: { patches?: KustomizePatch[]; images?: KustomizeImage[] } }[];
  postRenderStrategy?: 'nohooks' | 'combined' | 'separate';
  commonMetadata?: CommonMetadata;
  healthCheckExprs?: CustomHealthCheck[];
  waitStrategy?: { name: 'poller' | 'legacy' };
}

/** One Helm release revision as helm-controller records it (`status.history`, newest first). */
export interface HelmSnapshot {
  apiVersion?: string;
  digest: string;
  name: string;
  namespace: string;
  version: number;
  status: string;
  chartName: string;
  chartVersion: string;
  appVersion?: string;
  configDigest: string;
  firstDeployed: string;
  lastDeployed: string;
  deleted?: string;
  testHooks?: Record<string, { lastStarted?: string; lastCompleted?: string; phase?: string }>;
  ociDigest?: string;
  action?: string;
}

export interface HelmReleaseStatus extends FluxStatus {
  lastHandledForceAt?: string;
  lastHandledResetAt?: string;
  observedPostRenderersDigest?: string;
  observedCommonMetadataDigest?: string;
  lastAttemptedGeneration?: number;
  /** `<namespace>/<name>` of the HelmChart made from spec.chart. */
  helmChart?: string;
  storageNamespace?: string;
  history?: HelmSnapshot[];
  lastAttemptedReleaseAction?: 'install' | 'upgrade';
  lastAttemptedReleaseActionDuration?: string;
  failures?: number;
  installFailures?: number;
  upgradeFailures?: number;
  lastAttemptedRevision?: string;
  lastAttemptedRevisionDigest?: string;
  lastAttemptedConfigDigest?: string;
  /** Deprecated upstream, still written by older helm-controllers. */
  lastAttemptedValuesChecksum?: string;
  /** Deprecated upstream, still written by older helm-controllers. */
  lastReleaseRevision?: number;
  inventory?: ResourceInventory;
}

export type HelmRelease = FluxObject<'HelmRelease', HelmReleaseSpec, HelmReleaseStatus>;

/** HelmRelease condition types besides Ready, Reconciling and Stalled (`api/v2/condition_types.go`). */
export const HelmReleaseCondition = {
  Released: 'Released',
  TestSuccess: 'TestSuccess',
  Remediated: 'Remediated',
  Drifted: 'Drifted',
} as const;

export const HelmReleaseReason = {
  InstallSucceeded: 'InstallSucceeded',
  InstallFailed: 'InstallFailed',
  UpgradeSucceeded: 'UpgradeSucceeded',
  UpgradeFailed: 'UpgradeFailed',
  TestSucceeded: 'TestSucceeded',
  TestFailed: 'TestFailed',
  RollbackSucceeded: 'RollbackSucceeded',
  RollbackFailed: 'RollbackFailed',
  UninstallSucceeded: 'UninstallSucceeded',
  UninstallFailed: 'UninstallFailed',
  ArtifactFailed: 'ArtifactFailed',
  DependencyNotReady: 'DependencyNotReady',
  DriftDetected: 'DriftDetected',
  NoDriftDetected: 'NoDriftDetected',
  /** Released=False while a release stuck in a pending state is unlocked (marked failed). */
  PendingRelease: 'PendingRelease',
  /** Stalled reason once remediation retries are used up. */
  RetriesExceeded: 'RetriesExceeded',
} as const;

/** helm-controller's origin labels on every object of a release: how `flux` and the graph find what it manages. */
export const HelmOriginLabel = {
  Name: 'helm.toolkit.fluxcd.io/name',
  Namespace: 'helm.toolkit.fluxcd.io/namespace',
} as const;

/** The field manager (and event reporter) of helm-controller. */
export const HELM_CONTROLLER = 'helm-controller';

export const HELM_RELEASE_DEFAULT_TIMEOUT = '5m0s';
export const HELM_RELEASE_DEFAULT_MAX_HISTORY = 5;

type HelmReleaseNames = Pick<HelmRelease, 'metadata'> & {
  spec: Pick<HelmReleaseSpec, 'releaseName' | 'targetNamespace' | 'storageNamespace'>;
};

/** Helm's limit on release names. */
const MAX_RELEASE_NAME_LENGTH = 53;

/**
 * `GetReleaseName`: spec.releaseName, else `[<targetNamespace>-]<name>`; a name over Helm's 53 characters becomes its
 * first 40 characters, `-` and the first 12 hex digits of its sha256 (helm-controller's `shortenName`), so two long
 * names that share a prefix still get different releases.
 */
export function helmReleaseName(hr: HelmReleaseNames): string {
  const name = hr.metadata.name ?? '';
  const full = hr.spec.releaseName || (hr.spec.targetNamespace ? `${hr.spec.targetNamespace}-${name}` : name);
  if (full.length <= MAX_RELEASE_NAME_LENGTH) return full;
  const sum = createHash('sha256').update(full).digest('hex');
  return `${full.slice(0, MAX_RELEASE_NAME_LENGTH - 12 - 1)}-${sum.slice(0, 12)}`;
}

/** `GetReleaseNamespace`: where the chart's objects go. */
export function helmReleaseNamespace(hr: HelmReleaseNames): string {
  return hr.spec.targetNamespace || (hr.metadata.namespace ?? '');
}

/** `GetStorageNamespace`: where the `sh.helm.release.v1.*` Secrets live. */
export function helmStorageNamespace(hr: HelmReleaseNames): string {
  return hr.spec.storageNamespace || (hr.metadata.namespace ?? '');
}

/** `GetHelmChartName`: the HelmChart made from spec.chart is `<namespace>-<name>`. */
export function helmChartName(hr: Pick<HelmRelease, 'metadata'>): string {
  return `${hr.metadata.namespace ?? ''}-${hr.metadata.name ?? ''}`;
}

export function helmReleaseTimeoutMs(spec: Pick<HelmReleaseSpec, 'timeout'>): number {
  return parseDuration(spec.timeout ?? HELM_RELEASE_DEFAULT_TIMEOUT);
}
