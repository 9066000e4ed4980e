/**
 * What the HelmRelease panel shows and does: the release history (helm-controller's `status.history` joined with
 * Helm's own release records), the merged values with where each top-level key came from, the last test results and
 * drift, and the Helm actions (force upgrade, reset, run tests, roll back, uninstall). Values that came from a Secret
 * never reach the renderer: their entries say where they came from and carry no value.
 */
import { z } from 'zod';

import { ActionId, ActionOutcome, ClusterName, Name, Namespace } from './model.ts';

/** A HelmRelease to read or act on. */
export const HelmReleaseKey = z.strictObject({
  cluster: ClusterName,
  kind: z.literal('HelmRelease'),
  namespace: Namespace.min(1),
  name: Name,
});
export type HelmReleaseKey = z.infer<typeof HelmReleaseKey>;

/** Helm's release revision numbers start at 1. */
export const HelmRevision = z.number().int().min(1).max(1_000_000);

/** One release revision: what Helm stored and, when helm-controller recorded it, its `status.history` snapshot. */
export const HelmHistoryRow = z.object({
  revision: z.number().int(),
  /** `name@version`. */
  chart: z.string(),
  appVersion: z.string().optional(),
  /** Helm's status: deployed, superseded, failed, pending-upgrade, uninstalled... */
  status: z.string(),
  /** `sha256:…` of the values (helm-controller's configDigest). */
  configDigest: z.string().optional(),
  deployed: z.string().optional(),
  /** Helm's description ("Upgrade complete", "Rollback to 2", why it failed). */
  description: z.string().optional(),
  /** The revision Helm holds as the release now (the newest one). */
  current: z.boolean(),
  /** helm-controller recorded it in `status.history`. */
  inStatus: z.boolean(),
  /** Helm's record of it was read (false: only in status, e.g. the helper could not be reached). */
  inHelm: z.boolean(),
});
export type HelmHistoryRow = z.infer<typeof HelmHistoryRow>;

/** Where values came from: `spec.values`, or one `valuesFrom` reference. */
export const ValuesOrigin = z.discriminatedUnion('type', [
  z.object({ type: z.literal('values') }),
  z.object({
    type: z.enum(['ConfigMap', 'Secret']),
    name: z.string(),
    valuesKey: z.string(),
    targetPath: z.string().optional(),
    optional: z.boolean(),
  }),
]);
export type ValuesOrigin = z.infer<typeof ValuesOrigin>;

/** One top-level key of the merged values. */
export const ValuesEntry = z.object({
  key: z.string(),
  /** Every source that set (part of) this key, in merge order: the last one wins for plain values. */
  origins: z.array(ValuesOrigin),
  /** The merged value as YAML; absent when `masked`. */
  yaml: z.string().optional(),
  /** A Secret contributed to it, so the value stays in main. */
  masked: z.boolean(),
});
export type ValuesEntry = z.infer<typeof ValuesEntry>;

/** A valuesFrom reference that could not be read (missing object or key). */
export const ValuesProblem = z.object({ origin: ValuesOrigin, message: z.string() });
export type ValuesProblem = z.infer<typeof ValuesProblem>;

export const HelmTestResult = z.object({
  name: z.string(),
  /** Succeeded, Failed, Running, Unknown; absent when the hook has not run. */
  phase: z.string().optional(),
  started: z.string().optional(),
  completed: z.string().optional(),
});
export type HelmTestResult = z.infer<typeof HelmTestResult>;

export const HelmReleaseView = z.object({
  key: HelmReleaseKey,
  releaseName: z.string(),
  /** Where the chart's objects go. */
  targetNamespace: z.string(),
  storageNamespace: z.string(),
  history: z.array(HelmHistoryRow),
  /** Why Helm's records could not be read (the history then shows `status.history` only). */
  helmError: z.string().optional(),
  values: z.array(ValuesEntry),
  valuesProblems: z.array(ValuesProblem),
  tests: z.object({
    /** The revision the results belong to. */
    revision: z.number().int().optional(),
    /** `helm`: the hooks' last runs in Helm's record; `status`: helm-controller's snapshot. */
    from: z.enum(['helm', 'status', 'none']),
    results: z.array(HelmTestResult),
  }),
  /**
   * `spec.driftDetection.mode` (disabled by default). What the last check found is in the HelmRelease's events
   * (DriftDetected, DriftCorrected), which the panel already reads.
   */
  driftMode: z.enum(['enabled', 'warn', 'disabled']),
  /** The Kustomization whose inventory holds this HelmRelease (it would recreate a deleted one). */
  managedBy: z.object({ namespace: Namespace, name: Name, suspended: z.boolean() }).optional(),
});
export type HelmReleaseView = z.infer<typeof HelmReleaseView>;

/** The manifests of the current revision and of the one a rollback would return to, Secret values masked. */
export const HelmRollbackPreview = z.object({
  key: HelmReleaseKey,
  currentRevision: z.number().int(),
  targetRevision: z.number().int(),
  current: z.string(),
  target: z.string(),
});
export type HelmRollbackPreview = z.infer<typeof HelmRollbackPreview>;

export const helmRequests = {
  'helm:release': { req: z.strictObject({ key: HelmReleaseKey }), res: HelmReleaseView },
  'helm:rollbackPreview': {
    req: z.strictObject({ key: HelmReleaseKey, revision: HelmRevision }),
    res: HelmRollbackPreview,
  },
  /** `flux reconcile hr --force`: requestedAt and forceAt with the same value, a one-off upgrade. */
  'helm:forceUpgrade': { req: z.strictObject({ actionId: ActionId, key: HelmReleaseKey }), res: ActionOutcome },
  /** `reconcile.fluxcd.io/resetAt` with requestedAt: the failure counters start again. */
  'helm:reset': { req: z.strictObject({ actionId: ActionId, key: HelmReleaseKey }), res: ActionOutcome },
  /** `helm test` with the HelmRelease's test filters and timeout. */
  'helm:test': { req: z.strictObject({ actionId: ActionId, key: HelmReleaseKey }), res: ActionOutcome },
  /** Suspends the HelmRelease (so the controller does not upgrade back), then `helm rollback` to `revision`. */
  'helm:rollback': {
    req: z.strictObject({ actionId: ActionId, key: HelmReleaseKey, revision: HelmRevision }),
    res: ActionOutcome,
  },
  /**
   * Deletes the HelmRelease so its finalizer uninstalls the release (Fluxdeck uninstalls it itself when the
   * HelmRelease is suspended, which the finalizer skips); `suspendKustomization` first suspends the Kustomization
   * that manages the HelmRelease, which would otherwise recreate it.
   */
  'helm:uninstall': {
    req: z.strictObject({ actionId: ActionId, key: HelmReleaseKey, suspendKustomization: z.boolean() }),
    res: ActionOutcome,
  },
} as const;
