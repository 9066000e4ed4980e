/**
 * `image.toolkit.fluxcd.io/v1`: ImageRepository and ImagePolicy (image-reflector-controller) and ImageUpdateAutomation
 * (image-automation-controller).
 */
import type { LabelSelector } from '../contract/index.ts';
import type { FluxObject, FluxStatus, LocalObjectReference, NamespacedObjectReference } from './meta.ts';
import type { AccessFrom, GitRepositoryRef } from './source.ts';

export interface ImageRepositorySpec {
  /** Without scheme or tag, e.g. `ghcr.io/stefanprodan/podinfo`. */
  image: string;
  interval: string;
  /** Defaults to the interval (at least 1s). */
  timeout?: string;
  secretRef?: LocalObjectReference;
  proxySecretRef?: LocalObjectReference;
  serviceAccountName?: string;
  certSecretRef?: LocalObjectReference;
  suspend?: boolean;
  accessFrom?: AccessFrom;
  /** Tag regular expressions to leave out; CRD default {@link DEFAULT_EXCLUSION_LIST}. */
  exclusionList?: string[];
  provider?: 'generic' | 'aws' | 'azure' | 'gcp';
  insecure?: boolean;
}

export interface ScanResult {
  revision?: string;
  tagCount: number;
  scanTime?: string;
  /** The ten most recent tags. */
  latestTags?: string[];
}

export interface ImageRepositoryStatus extends FluxStatus {
  canonicalImageName?: string;
  lastScanResult?: ScanResult;
  observedExclusionList?: string[];
}

export type ImageRepository = FluxObject<'ImageRepository', ImageRepositorySpec, ImageRepositoryStatus>;

/** Cosign signature tags, which are not images to deploy. */
export const DEFAULT_EXCLUSION_LIST: readonly string[] = ['^.*\\.sig$'];

export interface ImagePolicyChoice {
  semver?: { range: string };
  /** Defaults to asc; the last tag after sorting wins. */
  alphabetical?: { order?: 'asc' | 'desc' };
  numerical?: { order?: 'asc' | 'desc' };
}

export interface TagFilter {
  pattern?: string;
  /** Replacement with the pattern's groups, e.g. `$ts`; the policy compares the extracted value. */
  extract?: string;
}

export interface ImagePolicySpec {
  imageRepositoryRef: NamespacedObjectReference;
  policy: ImagePolicyChoice;
  filterTags?: TagFilter;
  /** Defaults to Never. */
  digestReflectionPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Only with digestReflectionPolicy Always (CRD-validated); 10m when unset there. */
  interval?: string;
  suspend?: boolean;
}

export interface ImageRef {
  name: string;
  tag: string;
  digest?: string;
}

export interface ImagePolicyStatus extends FluxStatus {
  latestRef?: ImageRef;
  observedPreviousRef?: ImageRef;
}

export type ImagePolicy = FluxObject<'ImagePolicy', ImagePolicySpec, ImagePolicyStatus>;

/** `name:tag[@digest]`, as `ImageRef.String()`. */
export function imageRefString(ref: ImageRef): string {
  return `${ref.name}:${ref.tag}${ref.digest ? `@${ref.digest}` : ''}`;
}

export interface GitCommitSpec {
  author: { name?: string; email: string };
  signingKey?: { secretRef: LocalObjectReference; type?: 'gpg' | 'ssh' };
  messageTemplate?: string;
  messageTemplateValues?: Record<string, string>;
}

export interface GitPushSpec {
  branch?: string;
  refspec?: string;
  options?: Record<string, string>;
}

export type { LabelSelector } from '../contract/index.ts';

export interface ImageUpdateAutomationSpec {
  sourceRef: { apiVersion?: string; kind: 'GitRepository'; name: string; namespace?: string };
  git?: {
    /** Defaults to the GitRepository's ref. */
    checkout?: { ref: GitRepositoryRef };
    commit: GitCommitSpec;
    /** Defaults to the checkout branch. */
    push?: GitPushSpec;
  };
  interval: string;
  /** Which ImagePolicies of the namespace to use; all by default. */
  policySelector?: LabelSelector;
  /** CRD default `{ strategy: Setters }`. */
  update?: { strategy?: 'Setters'; path?: string };
  suspend?: boolean;
}

export interface ImageUpdateAutomationStatus extends FluxStatus {
  lastAutomationRunTime?: string;
  lastPushCommit?: string;
  lastPushTime?: string;
  /** By ImagePolicy name. */
  observedPolicies?: Record<string, ImageRef>;
  observedSourceRevision?: string;
}

export type ImageUpdateAutomation = FluxObject<
  'ImageUpdateAutomation',
  ImageUpdateAutomationSpec,
  ImageUpdateAutomationStatus
>;

/** Reasons of the image kinds (`condition_types.go` of both controllers). */
export const ImageReason = {
  ImageURLInvalid: 'ImageURLInvalid',
  DependencyNotReady: 'DependencyNotReady',
  AuthenticationFailed: 'AuthenticationFailed',
  ReadOperationFailed: 'ReadOperationFailed',
  IntervalNotConfigured: 'IntervalNotConfigured',
  InvalidUpdateStrategy: 'InvalidUpdateStrategy',
  InvalidSourceConfiguration: 'InvalidSourceConfiguration',
  SourceManagerFailed: 'SourceManagerFailed',
  GitOperationFailed: 'GitOperationFailed',
  UpdateFailed: 'UpdateFailed',
  InvalidPolicySelector: 'InvalidPolicySelector',
  RemovedTemplateField: 'RemovedTemplateField',
} as const;
