import type { ReconcileOutcome } from '../../engine/controller-manager.ts';
import {
  type ConditionContext,
  finalizeStatus,
  getCondition,
  isReady,
  markFalse,
  markReconciling,
  markRetrying,
  markStalled,
  markUnknown,
} from '../../flux/conditions.ts';
import { formatDuration, parseDuration } from '../../flux/duration.ts';
import {
  type HelmRelease,
  helmReleaseName,
  helmReleaseNamespace,
  HelmReleaseReason,
  type HelmReleaseStatus,
  helmStorageNamespace,
} from '../../flux/helm.ts';
import { Annotation, ConditionType, FLUX_FINALIZER, Reason } from '../../flux/meta.ts';
import type { ReleaseInfo } from '../../helm/index.ts';
import { errorChain } from '../../util/errors.ts';
import { writeFailureStatus } from '../status-writer.ts';
import { type Plan, planRelease, shouldResetFailures } from './planner.ts';
import type { HelmReleasePorts, LocalChart, ReleaseActions, ReleaseTargetOf } from './ports.ts';
import { commonMetadataDigest, postRenderersDigest } from './post-render.ts';
import { summarizeReady } from './release-conditions.ts';
import { storedRelease } from './release-snapshot.ts';
import { runStep, type StepContext, uninstallRelease } from './release-step.ts';
import { composeValues, digestValues, mergeMaps, type Values } from './values.ts';

/**
 * The HelmRelease reconciler (helm-controller v2): dependencies, chart source, values, then Helm actions chosen by
 * the planner until the release is in sync, a remediation has run, or retries are used up. Every outcome is recorded
 * in status with helm-controller's conditions, reasons and history, and a failure never stops the loop.
 */

/** A failed preparation step: the Ready reason and how soon to retry. */
class StepError extends Error {
  readonly reason: string;
  readonly retryMs: number | undefined;
  constructor(reason: string, message: string, retryMs?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StepError';
    this.reason = reason;
    this.retryMs = retryMs;
  }
}

/** At most this many Helm actions per reconcile (install, test, remediate...): a guard against a planner loop. */
const MAX_STEPS = 6;

export async function reconcileHelmRelease(
  hr: HelmRelease,
  ports: HelmReleasePorts,
  signal: AbortSignal,
): Promise<ReconcileOutcome> {
  if (hr.metadata.deletionTimestamp) return finalize(hr, ports, signal);
  if (hr.spec.suspend) return {};
  if (!(hr.metadata.finalizers ?? []).includes(FLUX_FINALIZER)) await ports.setFinalizer(hr, true);
  return new HelmReleaseRun(hr, ports, signal).execute();
}

/**
 * With upgrade.preserveValues, Helm stores the last release's values merged under the new ones, so that merge (not
 * the HelmRelease's values alone) is what an in-sync release holds; comparing with the values alone would upgrade
 * on every reconcile. Undefined when values are not preserved or nothing is released yet.
 */
export function preservedDigest(hr: HelmRelease, rel: ReleaseInfo | undefined, values: Values): string | undefined {
  if (!hr.spec.upgrade?.preserveValues || !rel) return undefined;
  return digestValues(mergeMaps(rel.config ?? {}, values));
}

export function releaseTarget(hr: HelmRelease): ReleaseTargetOf {
  return {
    releaseName: helmReleaseName(hr),
    namespace: helmReleaseNamespace(hr),
    storageNamespace: helmStorageNamespace(hr),
  };
}

/** Deletion: uninstall the release (unless suspended, as Flux), delete the HelmChart it made, then let the object go. */
async function finalize(hr: HelmRelease, ports: HelmReleasePorts, signal: AbortSignal): Promise<ReconcileOutcome> {
  if (!(hr.metadata.finalizers ?? []).includes(FLUX_FINALIZER)) return {};
  const head = hr.status?.history?.[0];
  if (!hr.spec.suspend && head) {
    // The release that was made, even when the spec has since changed its name or namespaces.
    const target: ReleaseTargetOf = {
      releaseName: head.name,
      namespace: head.namespace,
      storageNamespace: hr.status?.storageNamespace || helmStorageNamespace(hr),
    };
    const error = await uninstallOnDelete(hr, ports, target, signal);
    if (error) return { error };
  }
  // The HelmChart made from spec.chart goes with the HelmRelease, as helm-controller deletes it.
  if (hr.status?.helmChart) await ports.deleteHelmChart(hr.status.helmChart, signal);
  await ports.setFinalizer(hr, false);
  return {};
}

/** Uninstalls for the finalizer; returns the error that keeps the object (and its finalizer) for another try. */
async function uninstallOnDelete(
  hr: HelmRelease,
  ports: HelmReleasePorts,
  target: ReleaseTargetOf,
  signal: AbortSignal,
): Promise<Error | undefined> {
  try {
    const actions = await ports.actions(hr, signal);
    await uninstallRelease(hr, actions, target, signal);
    ports.event(hr, {
      type: 'Normal',
      reason: HelmReleaseReason.UninstallSucceeded,
      message: `Helm uninstall succeeded for release ${target.namespace}/${target.releaseName}`,
    });
    return undefined;
  } catch (err) {
    if (signal.aborted) return err as Error;
    const message = `Helm uninstall failed for release ${target.namespace}/${target.releaseName}: ${errorChain(err)}`;
    ports.event(hr, { type: 'Warning', reason: HelmReleaseReason.UninstallFailed, message });
    return new Error(message, { cause: err });
  }
}

async function prepared<T>(reason: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StepError) throw err;
    throw new StepError(reason, `${what}: ${errorChain(err)}`, undefined, { cause: err });
  }
}

class HelmReleaseRun {
  private readonly hr: HelmRelease;
  private readonly ports: HelmReleasePorts;
  private readonly signal: AbortSignal;
  private status: HelmReleaseStatus;

  constructor(hr: HelmRelease, ports: HelmReleasePorts, signal: AbortSignal) {
    this.hr = hr;
    this.ports = ports;
    this.signal = signal;
    this.status = { ...(hr.status ?? {}), conditions: [...(hr.status?.conditions ?? [])] };
  }

  private get ctx(): ConditionContext {
    return { generation: this.hr.metadata.generation ?? 0, now: this.ports.now() };
  }

  async execute(): Promise<ReconcileOutcome> {
    try {
      this.checkDependencies();
      await this.helmChart();
      const source = this.chartArtifact();
      const chart = await prepared(Reason.ArtifactFailed, 'could not load chart', () =>
        this.ports.openChart(source.artifact, this.signal),
      );
      const values = await this.values();
      return await this.release(chart, values, source.ociDigest);
    } catch (err) {
      if (this.signal.aborted) return { error: err };
      if (err instanceof StepError) return this.fail(err.reason, err.message, err.retryMs ?? this.retryMs());
      return this.fail(Reason.ReconciliationFailed, errorChain(err), this.retryMs());
    }
  }

  /** spec.chart: keep the HelmChart in line with the template; after a switch to chartRef, delete the old one. */
  private async helmChart(): Promise<void> {
    if (this.hr.spec.chart) {
      this.status.helmChart = await prepared(Reason.ArtifactFailed, 'failed to create the HelmChart', () =>
        this.ports.ensureHelmChart(this.hr, this.signal),
      );
    } else if (this.status.helmChart) {
      const old = this.status.helmChart;
      await prepared(Reason.ArtifactFailed, `failed to delete the HelmChart ${old}`, () =>
        this.ports.deleteHelmChart(old, this.signal),
      );
      delete this.status.helmChart;
    }
  }

  private checkDependencies(): void {
    const ns = this.hr.metadata.namespace ?? '';
    for (const d of this.hr.spec.dependsOn ?? []) {
      const id = `${d.namespace ?? ns}/${d.name}`;
      const dep = this.ports.dependency(d.namespace ?? ns, d.name);
      const ready =
        dep !== undefined &&
        dep.status?.observedGeneration === dep.metadata.generation &&
        isReady(dep.status?.conditions);
      if (!ready) {
        const wait = formatDuration(this.ports.requeueDependencyMs);
        const problem = dep ? `dependency '${id}' is not ready` : `dependency '${id}' not found`;
        throw new StepError(
          HelmReleaseReason.DependencyNotReady,
          `dependencies do not meet ready condition (${problem}), retrying in ${wait}`,
          this.ports.requeueDependencyMs,
        );
      }
    }
  }

  private chartArtifact(): {
    artifact: NonNullable<ReturnType<HelmReleasePorts['chartSource']> & { found: true }>['artifact'] & object;
    ociDigest?: string;
  } {
    const source = this.ports.chartSource(this.hr);
    const wait = this.ports.requeueDependencyMs;
    if (!source.found) {
      throw new StepError(
        Reason.ArtifactFailed,
        `chart source '${source.id}' not found, retrying in ${formatDuration(wait)}`,
        wait,
      );
    }
    if (!source.artifact) {
      throw new StepError(
        Reason.ArtifactFailed,
        `${source.id} is not ready: ${source.message ?? 'no artifact yet'}, retrying in ${formatDuration(wait)}`,
        wait,
      );
    }
    const digest = this.hr.spec.chartRef?.kind === 'OCIRepository' ? source.artifact.digest : undefined;
    return { artifact: source.artifact, ...(digest ? { ociDigest: digest } : {}) };
  }

  private async values(): Promise<Values> {
    const sources = await prepared('ValuesError', 'could not read values references', () =>
      this.ports.valuesSources(this.hr, this.signal),
    );
    try {
      return composeValues(this.hr.spec, this.hr.metadata.namespace ?? '', sources, (t) => this.ports.parseYaml(t));
    } catch (err) {
      throw new StepError('ValuesError', errorChain(err), undefined, { cause: err });
    }
  }

  private async release(chart: LocalChart, values: Values, ociDigest: string | undefined): Promise<ReconcileOutcome> {
    const configDigest = digestValues(values);
    const annotations = this.hr.metadata.annotations ?? {};
    const resetAt = annotations[Annotation.ResetAt];
    const forceAt = annotations[Annotation.ForceAt];
    const resetRequested = resetAt !== undefined && resetAt !== this.status.lastHandledResetAt;
    const forced = forceAt !== undefined && forceAt !== this.status.lastHandledForceAt;
    if (shouldResetFailures(this.hr, chart, configDigest, resetRequested)) {
      // Zero counters are left out of the status, as Go's omitempty does.
      delete this.status.failures;
      delete this.status.installFailures;
      delete this.status.upgradeFailures;
    }
    if (resetAt !== undefined) this.status.lastHandledResetAt = resetAt;
    const target = releaseTarget(this.hr);
    this.status.storageNamespace = target.storageNamespace;
    this.status.lastAttemptedGeneration = this.hr.metadata.generation ?? 0;
    this.status.lastAttemptedRevision = chart.version;
    if (ociDigest) this.status.lastAttemptedRevisionDigest = ociDigest;
    else delete this.status.lastAttemptedRevisionDigest;
    this.status.lastAttemptedConfigDigest = configDigest;
    const actions = await prepared(Reason.ReconciliationFailed, 'cannot reach the target cluster', () =>
      this.ports.actions(this.hr, this.signal),
    );
    const step: StepContext = {
      hr: this.hr,
      status: this.status,
      actions,
      target,
      chart,
      values,
      ...(ociDigest ? { ociDigest } : {}),
      ctx: this.ctx,
      event: (e) => this.ports.event(this.hr, e),
      signal: this.signal,
    };
    // Handled once tried, whatever the outcome (a failed forced upgrade is not forced again).
    if (forced) this.status.lastHandledForceAt = forceAt;
    return this.runActions(step, { chart, configDigest, forced });
  }

  /** Plans and runs Helm actions until nothing is left to do, a remediation ran, or a step failed for good. */
  private async runActions(
    step: StepContext,
    want: { chart: LocalChart; configDigest: string; forced: boolean },
  ): Promise<ReconcileOutcome> {
    let forced = want.forced;
    let failure: string | undefined;
    for (let i = 0; i < MAX_STEPS; i++) {
      const plan = await this.plan(step, { ...want, forced });
      forced = false;
      if (plan.action === 'none') return failure ? this.failed(failure) : this.inSync(step);
      if (plan.action === 'stalled') return this.stall(plan.message);
      // After a failed release action, only a remediation may follow in the same reconcile; the retry comes later.
      if (failure && !plan.remediation) return this.failed(failure);
      await this.progress(`Running '${plan.action}' action with timeout of ${formatDuration(this.timeoutMs())}`);
      const result = await runStep({ ...step, status: this.status, ctx: this.ctx }, plan.action);
      if (plan.remediation) return this.failed(failure ?? (result.ok ? 'release remediated' : result.message));
      if (!result.ok) failure = result.message;
    }
    return this.failed(failure ?? 'too many Helm actions in one reconcile; will continue on the next one');
  }

  private async plan(
    step: StepContext,
    want: { chart: LocalChart; configDigest: string; forced: boolean },
  ): Promise<Plan> {
    const post = postRenderersDigest(this.hr);
    const common = commonMetadataDigest(this.hr);
    const rel = await this.latest(step.actions, step.target);
    return planRelease({
      hr: { spec: this.hr.spec, status: this.status },
      chart: want.chart,
      configDigest: preservedDigest(this.hr, rel, step.values) ?? want.configDigest,
      ...(post ? { postRenderersDigest: post } : {}),
      ...(common ? { commonMetadataDigest: common } : {}),
      release: rel && storedRelease(rel),
      forced: want.forced,
    });
  }

  private async inSync(step: StepContext): Promise<ReconcileOutcome> {
    await this.checkDrift(step);
    return this.succeed();
  }

  /**
   * driftDetection: compare the stored manifest with the cluster; `warn` reports, `enabled` also corrects
   * (helm-controller's DriftDetected / DriftCorrected events). A failed comparison does not fail the release.
   */
  private async checkDrift(step: StepContext): Promise<void> {
    const mode = this.hr.spec.driftDetection?.mode ?? 'disabled';
    if (mode === 'disabled') return;
    const { releaseName, namespace } = step.target;
    const drift = await step.actions.drift(step.target, this.signal).catch((err: unknown) => {
      if (this.signal.aborted) throw err;
      const message = `Unable to determine cluster state of release ${namespace}/${releaseName}: ${errorChain(err)}`;
      this.ports.event(this.hr, { type: 'Warning', reason: HelmReleaseReason.DriftDetected, message });
      return undefined;
    });
    if (!drift || drift.drifted.length === 0) return;
    const list = drift.drifted.map((e) => `${e.subject} ${e.action === 'created' ? 'removed' : 'changed'}`).join('\n');
    const revision = step.chart.version;
    if (mode === 'warn') {
      const message = `Cluster state of release ${namespace}/${releaseName} has drifted from the desired state:\n${list}`;
      this.ports.event(this.hr, { type: 'Warning', reason: HelmReleaseReason.DriftDetected, message, revision });
      return;
    }
    await step.actions.correctDrift(drift.objects, this.signal);
    const message = `Cluster state of release ${namespace}/${releaseName} has been corrected:\n${list}`;
    this.ports.event(this.hr, { type: 'Normal', reason: 'DriftCorrected', message, revision });
  }

  private latest(actions: ReleaseActions, target: ReleaseTargetOf): Promise<ReleaseInfo | undefined> {
    return prepared(Reason.ReconciliationFailed, 'failed to read the release from Helm storage', () =>
      actions.latest(target),
    );
  }

  private timeoutMs(): number {
    return parseDuration(this.hr.spec.timeout ?? '5m');
  }

  private async succeed(): Promise<ReconcileOutcome> {
    summarizeReady(this.hr, this.status, this.ctx);
    await this.write();
    return { requeueAfterMs: parseDuration(this.hr.spec.interval) };
  }

  /** A release action failed (recorded in its condition); retry soon while retries remain. */
  private async failed(message: string): Promise<ReconcileOutcome> {
    summarizeReady(this.hr, this.status, this.ctx);
    if (getCondition(this.status.conditions, ConditionType.Ready)?.status !== 'False') {
      this.status.conditions = markFalse(
        this.status.conditions,
        { type: ConditionType.Ready, reason: Reason.ReconciliationFailed, message },
        this.ctx,
      );
    }
    await this.write();
    return { requeueAfterMs: this.ports.retryMs, failure: message };
  }

  /** Retries used up: Stalled until the spec, chart or values change, or a reset is requested. */
  private async stall(message: string): Promise<ReconcileOutcome> {
    summarizeReady(this.hr, this.status, this.ctx);
    this.status.conditions = markStalled(
      this.status.conditions,
      { reason: HelmReleaseReason.RetriesExceeded, message },
      this.ctx,
    );
    this.status.observedGeneration = this.hr.metadata.generation ?? 0;
    await this.write();
    return { requeueAfterMs: parseDuration(this.hr.spec.interval), failure: message };
  }

  private async fail(reason: string, message: string, retryAfterMs: number): Promise<ReconcileOutcome> {
    this.status.conditions = markRetrying(this.status.conditions, { reason, message }, this.ctx);
    const unwritten = await writeFailureStatus(() => this.write(), message);
    if (unwritten) return { error: unwritten };
    this.ports.event(this.hr, { type: 'Warning', reason, message });
    return { requeueAfterMs: retryAfterMs, failure: message };
  }

  private async progress(message: string): Promise<void> {
    this.status.conditions = markReconciling(this.status.conditions, { reason: Reason.Progressing, message }, this.ctx);
    this.status.conditions = markUnknown(
      this.status.conditions,
      { type: ConditionType.Ready, reason: Reason.Progressing, message },
      this.ctx,
    );
    await this.ports.writeStatus(this.hr, this.status);
  }

  private async write(): Promise<void> {
    this.status = finalizeStatus(
      { generation: this.hr.metadata.generation ?? 0, annotations: this.hr.metadata.annotations, status: this.status },
      this.ctx,
    );
    await this.ports.writeStatus(this.hr, this.status);
  }

  private retryMs(): number {
    return parseDuration(this.hr.spec.interval);
  }
}
