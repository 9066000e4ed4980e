import type { HelmRelease, HelmReleaseStatus } from '../../flux/helm.ts';
import type { Artifact } from '../../flux/source.ts';
import type {
  InstallRequest,
  KubeAccess,
  PostRenderer,
  ReleaseInfo,
  RollbackRequest,
  TestRequest,
  UninstallRequest,
  UnlockResult,
  UpgradeRequest,
} from '../../helm/index.ts';
import type { ChangeSetEntry } from '../../kube/change-set.ts';
import type { KubeObject } from '../../util/kube-object.ts';
import type { ReleaseDrift } from './drift.ts';
import type { Values, ValuesSource } from './values.ts';

/**
 * What the HelmRelease reconciler needs from the world, as small interfaces (ARCHITECTURE.md rule 5). controller.ts
 * wires them to the session's cluster, the artifact store and the Helm helper; unit tests wire them to fakes.
 */

/** Where the chart comes from: the source object's artifact (OCIRepository or HelmChart) once it has one. */
export type ChartSourceLookup =
  { found: false; id: string } | { found: true; id: string; artifact?: Artifact; ready: boolean; message?: string };

/** A chart on local disk, ready for the helper, and what Chart.yaml says about it. */
export interface LocalChart {
  path: string;
  name: string;
  version: string;
  appVersion?: string;
}

/** Helm's release actions against the HelmRelease's target cluster (impersonation and remote clusters applied). */
export interface ReleaseActions {
  kube: KubeAccess;
  /** The latest release in storage, or undefined when there is none. */
  latest(target: ReleaseTargetOf): Promise<ReleaseInfo | undefined>;
  install(req: Omit<InstallRequest, 'kube'>, signal: AbortSignal, postRenderer?: PostRenderer): Promise<ReleaseInfo>;
  upgrade(req: Omit<UpgradeRequest, 'kube'>, signal: AbortSignal, postRenderer?: PostRenderer): Promise<ReleaseInfo>;
  test(req: Omit<TestRequest, 'kube'>, signal: AbortSignal): Promise<ReleaseInfo>;
  rollback(req: Omit<RollbackRequest, 'kube'>, signal: AbortSignal): Promise<ReleaseInfo>;
  uninstall(req: Omit<UninstallRequest, 'kube'>, signal: AbortSignal): Promise<ReleaseInfo | undefined>;
  /** Marks a release stuck in a pending state failed (helm-controller's Unlock). */
  unlock(target: ReleaseTargetOf, signal: AbortSignal): Promise<UnlockResult>;
  /** What of the stored release's manifest differs from the cluster (SSA dry-run as helm-controller). */
  drift(target: ReleaseTargetOf, signal: AbortSignal): Promise<ReleaseDrift>;
  /** Applies the drifted objects again. */
  correctDrift(objects: KubeObject[], signal: AbortSignal): Promise<ChangeSetEntry[]>;
}

export interface ReleaseTargetOf {
  releaseName: string;
  namespace: string;
  storageNamespace: string;
}

export interface HelmReleaseEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** `<chart version>`: helm-controller's `helm.toolkit.fluxcd.io/revision` annotation. */
  revision?: string;
}

export interface HelmReleasePorts {
  /** The HelmChart or OCIRepository the chart comes from; for spec.chart, the HelmChart it made. */
  chartSource(hr: HelmRelease): ChartSourceLookup;
  /** For spec.chart: creates or updates the HelmChart from the template; returns `<namespace>/<name>`. */
  ensureHelmChart(hr: HelmRelease, signal: AbortSignal): Promise<string>;
  /** Deletes the HelmChart made from spec.chart (`<namespace>/<name>`), when the object goes or switches to chartRef. */
  deleteHelmChart(nsName: string, signal: AbortSignal): Promise<void>;
  dependency(namespace: string, name: string): HelmRelease | undefined;
  openChart(artifact: Artifact, signal: AbortSignal): Promise<LocalChart>;
  /** The data of a ConfigMap or Secret (Secret values decoded) in the HelmRelease's namespace, for valuesFrom. */
  valuesSources(hr: HelmRelease, signal: AbortSignal): Promise<ValuesSource>;
  parseYaml(text: string): unknown;
  actions(hr: HelmRelease, signal: AbortSignal): Promise<ReleaseActions>;
  writeStatus(hr: HelmRelease, status: HelmReleaseStatus): Promise<void>;
  setFinalizer(hr: HelmRelease, present: boolean): Promise<void>;
  event(hr: HelmRelease, event: HelmReleaseEvent): void;
  requeueDependencyMs: number;
  /** How soon to try again after a failed release action while retries remain. */
  retryMs: number;
  now(): Date;
}

export type { Values };
