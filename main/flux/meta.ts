/**
 * The types and names every Flux kind shares (`github.com/fluxcd/pkg/apis/meta`): conditions, references, the
 * reconcile-request annotation, the finalizer, common reasons. Field names and string values are Flux's, because
 * Fluxdeck reads and writes the same objects as the `flux` CLI and Flux's own controllers.
 */
import type { KubeObject, ObjectMeta } from '../util/kube-object.ts';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A `metav1.Condition`. Flux sets `observedGeneration` on every condition it writes. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  observedGeneration?: number;
  /** RFC 3339, whole seconds (`2024-05-01T10:00:00Z`). */
  lastTransitionTime: string;
  /** CamelCase; the CRDs reject an empty reason. */
  reason: string;
  message: string;
}

/** `status` fields every Flux kind has (`meta.ReconcileRequestStatus` inlined plus the kstatus basics). */
export interface FluxStatus {
  /** Defaults to -1 through the CRD, so "never reconciled" differs from generation 0. */
  observedGeneration?: number;
  conditions?: Condition[];
  /** The value of `reconcile.fluxcd.io/requestedAt` that the last finished reconcile saw. */
  lastHandledReconcileAt?: string;
}

/** A Flux custom resource: a KubeObject with a typed spec and status. */
export interface FluxObject<Kind extends string, Spec, Status extends FluxStatus> extends KubeObject {
  apiVersion: string;
  kind: Kind;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

export interface LocalObjectReference {
  name: string;
}

export interface NamespacedObjectReference {
  name: string;
  namespace?: string;
}

export interface NamespacedObjectKindReference {
  apiVersion?: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface SecretKeyReference {
  name: string;
  key?: string;
}

/** `spec.kubeConfig`: exactly one of the two references (CRD-validated). */
export interface KubeConfigReference {
  configMapRef?: LocalObjectReference;
  secretRef?: SecretKeyReference;
}

/** `dependsOn` entries of Kustomization and HelmRelease. */
export interface DependencyReference {
  name: string;
  namespace?: string;
  /** CEL expression evaluated against the dependency; replaces the Ready check when set. */
  readyExpr?: string;
}

/** `valuesFrom` (HelmRelease) entries. */
export interface ValuesReference {
  kind: 'Secret' | 'ConfigMap';
  name: string;
  /** Defaults to `values.yaml`. */
  valuesKey?: string;
  targetPath?: string;
  optional?: boolean;
}

/** kustomize's resource selector, used by patches and drift-ignore rules; the same as main/kustomize's. */
export type { Selector } from '../kustomize/index.ts';

/** One entry of `status.history` (`meta.History`), newest first. */
export interface Snapshot {
  digest: string;
  firstReconciled: string;
  lastReconciled: string;
  lastReconciledDuration: string;
  lastReconciledStatus: string;
  totalReconciliations: number;
  metadata?: Record<string, string>;
}

/** Condition types shared by all kinds (`meta.*Condition`). */
export const ConditionType = {
  Ready: 'Ready',
  Reconciling: 'Reconciling',
  Stalled: 'Stalled',
  Healthy: 'Healthy',
} as const;

/** Reasons shared by all kinds (`meta.*Reason`). */
export const Reason = {
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Progressing: 'Progressing',
  ProgressingWithRetry: 'ProgressingWithRetry',
  Suspended: 'Suspended',
  DependencyNotReady: 'DependencyNotReady',
  InvalidPath: 'InvalidPath',
  InvalidURL: 'InvalidURL',
  InsecureConnectionsDisallowed: 'InsecureConnectionsDisallowed',
  UnsupportedConnectionType: 'UnsupportedConnectionType',
  PruneFailed: 'PruneFailed',
  ArtifactFailed: 'ArtifactFailed',
  BuildFailed: 'BuildFailed',
  HealthCheckFailed: 'HealthCheckFailed',
  HealthCheckCanceled: 'HealthCheckCanceled',
  ReconciliationSucceeded: 'ReconciliationSucceeded',
  ReconciliationFailed: 'ReconciliationFailed',
  InvalidCELExpression: 'InvalidCELExpression',
  FeatureGateDisabled: 'FeatureGateDisabled',
  /** Cross-namespace reference refused (`--no-cross-namespace-refs`); from `fluxcd/pkg/runtime/acl`. */
  AccessDenied: 'AccessDenied',
} as const;

/** Annotations and labels with meaning to every Flux controller and to the `flux` CLI. */
export const Annotation = {
  /** Any new value asks for a reconcile; the controller copies it to `status.lastHandledReconcileAt`. */
  ReconcileRequestedAt: 'reconcile.fluxcd.io/requestedAt',
  /** HelmRelease: one-off forced install/upgrade; set together with requestedAt to the same value. */
  ForceAt: 'reconcile.fluxcd.io/forceAt',
  /** HelmRelease: reset the failure counters; set together with requestedAt to the same value. */
  ResetAt: 'reconcile.fluxcd.io/resetAt',
  /**
   * Why an object is suspended. Proposed for `flux suspend --reason` (fluxcd/flux2#4232) but not in Flux as of 2.9.5:
   * Flux neither writes nor reads it, so it is Fluxdeck's own note for other Fluxdeck users.
   */
  SuspendReason: 'suspend.toolkit.fluxcd.io/reason',
} as const;

export const Label = {
  /** On a ConfigMap or Secret: changes to it trigger reconciles of the objects that reference it. */
  Watch: 'reconcile.fluxcd.io/watch',
  WatchEnabled: 'Enabled',
} as const;

/** The one finalizer every Flux kind uses (source, kustomize, helm, image and notification controllers alike). */
export const FLUX_FINALIZER = 'finalizers.fluxcd.io';

/** Field manager Flux's docs tell humans to use for `kubectl` edits of Flux objects; kustomize-controller keeps their fields. */
export const CLIENT_SIDE_APPLY_MANAGER = 'flux-client-side-apply';
