import type { ReconcileOutcome } from '../../engine/controller-manager.ts';
import {
  type ConditionContext,
  deleteCondition,
  finalizeStatus,
  markFalse,
  markReconciling,
  markTrue,
  markUnknown,
} from '../../flux/conditions.ts';
import { parseDuration } from '../../flux/duration.ts';
import { ConditionType, Reason } from '../../flux/meta.ts';
import { type HelmChart, SourceCondition, SourceReason } from '../../flux/source.ts';
import { errorChain } from '../../util/errors.ts';
import { withFinalizer } from '../finalizer-guard.ts';
import { writeFailureStatus } from '../status-writer.ts';
import {
  BuildReason,
  type CachedChart,
  type ChartBuild,
  ChartBuildError,
  type ChartSource,
  type HelmChartPorts,
} from './ports.ts';

/**
 * The HelmChart reconciler (flux-behaviour.md §1.7, source-controller helmchart_controller.go): find the source and
 * its artifact, build the chart (pull from a repository, or package from a Git/Bucket artifact), and store it as
 * `<name>-<version>.tgz` when the name or version differs from the stored one. Failures keep the last artifact:
 * pulls and references are FetchFailed, values/dependency/package errors BuildFailed, both with Ready=False.
 */
export async function reconcileHelmChart(
  chart: HelmChart,
  ports: HelmChartPorts,
  signal: AbortSignal,
): Promise<ReconcileOutcome> {
  return withFinalizer(
    chart,
    ports,
    () => new ChartRun(chart, ports, signal).execute(),
    () => ports.deleteArtifacts(chart),
  );
}

type Status = NonNullable<HelmChart['status']>;

/** A step that failed: the negative condition it raises and Flux's reason. */
class ChartFailure extends Error {
  readonly condition: string;
  readonly reason: string;
  constructor(condition: string, reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.condition = condition;
    this.reason = reason;
  }
}

const NEGATIVE = [
  SourceCondition.FetchFailed,
  SourceCondition.BuildFailed,
  SourceCondition.StorageOperationFailed,
  SourceCondition.ArtifactOutdated,
];

const FETCH_REASONS = new Set<string>([BuildReason.ChartReference, BuildReason.ChartPull, BuildReason.Unknown]);

/** Flux's `Build.Summary()`: "pulled 'app' chart with version '1.2.3' and merged values files [a.yaml b.yaml]". */
export function buildSummary(b: Pick<ChartBuild, 'name' | 'version' | 'packaged' | 'valuesFiles'>): string {
  const action = b.packaged ? 'packaged' : 'pulled';
  const values = b.valuesFiles.length > 0 ? ` and merged values files [${b.valuesFiles.join(' ')}]` : '';
  return `${action} '${b.name}' chart with version '${b.version}'${values}`;
}

function classify(err: unknown): ChartFailure {
  if (err instanceof ChartFailure) return err;
  if (err instanceof ChartBuildError) {
    if (err.fetchReason)
      return new ChartFailure(SourceCondition.FetchFailed, err.fetchReason, err.message, { cause: err });
    const condition = FETCH_REASONS.has(err.reason) ? SourceCondition.FetchFailed : SourceCondition.BuildFailed;
    return new ChartFailure(condition, err.reason, err.message, { cause: err });
  }
  const reason = (err as { reason?: unknown } | undefined)?.reason;
  return new ChartFailure(
    SourceCondition.StorageOperationFailed,
    typeof reason === 'string' ? reason : Reason.Failed,
    errorChain(err),
    { cause: err },
  );
}

/** Why this reconcile is more than a periodic check, if it is. */
function progressMessage(has: boolean, exists: boolean, observed: number, generation: number): string | undefined {
  if (has && !exists) return 'building artifact: disappeared from storage';
  if (!has) return 'building artifact';
  if (generation !== observed) return `processing object: new generation ${observed} -> ${generation}`;
  return undefined;
}

class ChartRun {
  private status: Status;
  private readonly chart: HelmChart;
  private readonly ports: HelmChartPorts;
  private readonly signal: AbortSignal;

  constructor(chart: HelmChart, ports: HelmChartPorts, signal: AbortSignal) {
    this.chart = chart;
    this.ports = ports;
    this.signal = signal;
    this.status = { ...(chart.status ?? {}), conditions: [...(chart.status?.conditions ?? [])] };
  }

  private get ctx(): ConditionContext {
    return { generation: this.chart.metadata.generation ?? 0, now: this.ports.now() };
  }

  async execute(): Promise<ReconcileOutcome> {
    try {
      const cached = await this.announce();
      const { source, revision } = await this.findSource();
      const build = await this.ports.build({ chart: this.chart, source, cached, signal: this.signal });
      return await this.succeed(build, revision);
    } catch (err) {
      if (this.signal.aborted) return { error: err };
      return this.fail(classify(err));
    }
  }

  /** Marks Reconciling when there is work beyond a periodic check; returns the stored chart a build may reuse. */
  private async announce(): Promise<CachedChart | undefined> {
    const generation = this.chart.metadata.generation ?? 0;
    const observed = this.status.observedGeneration ?? -1;
    const a = this.status.artifact;
    const exists = a ? await this.ports.artifactExists(a) : false;
    const message = progressMessage(a !== undefined, exists, observed, generation);
    if (message) {
      this.status.conditions = markReconciling(
        this.status.conditions,
        { reason: Reason.Progressing, message },
        this.ctx,
      );
      this.status.conditions = markUnknown(
        this.status.conditions,
        { type: ConditionType.Ready, reason: Reason.Progressing, message: 'reconciliation in progress' },
        this.ctx,
      );
      await this.write();
    }
    // Flux's `Force`: a new generation rebuilds even when name and version are unchanged.
    const name = this.status.observedChartName;
    if (!a || !exists || generation !== observed || !name) return undefined;
    return { artifact: a, name };
  }

  private async findSource(): Promise<{ source: ChartSource; revision: string | undefined }> {
    const ref = this.chart.spec.sourceRef;
    const found = await this.ports.source(this.chart);
    if (!found.found)
      throw new ChartFailure(
        SourceCondition.FetchFailed,
        'SourceUnavailable',
        `failed to get source: ${found.message}`,
      );
    const oci = found.source.kind === 'HelmRepository' && found.source.spec.type === 'oci';
    if (!oci && (!found.artifact || !found.artifactExists))
      throw new ChartFailure(
        SourceCondition.FetchFailed,
        'NoSourceArtifact',
        `no artifact available for ${ref.kind} source '${ref.name}'`,
      );
    return { source: found.source, revision: found.artifact?.revision };
  }

  private async succeed(build: ChartBuild, sourceRevision: string | undefined): Promise<ReconcileOutcome> {
    const summary = buildSummary(build);
    const reason = build.packaged ? SourceReason.ChartPackageSucceeded : SourceReason.ChartPullSucceeded;
    if (build.artifact) {
      this.status.artifact = build.artifact;
      this.status.observedChartName = build.name;
      this.status.observedValuesFiles = this.chart.spec.ignoreMissingValuesFiles ? build.valuesFiles : undefined;
      this.ports.event(this.chart, { type: 'Normal', reason, message: summary, revision: build.version });
    }
    this.status.observedSourceArtifactRevision = sourceRevision;
    for (const c of NEGATIVE) this.status.conditions = deleteCondition(this.status.conditions, c);
    for (const type of [SourceCondition.ArtifactInStorage, ConditionType.Ready])
      this.status.conditions = markTrue(this.status.conditions, { type, reason, message: summary }, this.ctx);
    await this.write();
    return { requeueAfterMs: parseDuration(this.chart.spec.interval) };
  }

  private async fail(err: ChartFailure): Promise<ReconcileOutcome> {
    const e = { reason: err.reason, message: err.message };
    // One failure at a time: a fetch failure clears an older build failure and the other way round, as Flux does.
    for (const c of NEGATIVE)
      if (c !== err.condition) this.status.conditions = deleteCondition(this.status.conditions, c);
    this.status.conditions = markTrue(this.status.conditions, { type: err.condition, ...e }, this.ctx);
    this.status.conditions = markReconciling(
      this.status.conditions,
      { reason: Reason.ProgressingWithRetry, message: err.message },
      this.ctx,
    );
    this.status.conditions = markFalse(this.status.conditions, { type: ConditionType.Ready, ...e }, this.ctx);
    const unwritten = await writeFailureStatus(() => this.write(), err.message);
    if (unwritten) return { error: unwritten };
    this.ports.event(this.chart, { type: 'Warning', ...e });
    return { error: err };
  }

  private async write(): Promise<void> {
    this.status = finalizeStatus<Status>(
      {
        generation: this.chart.metadata.generation ?? 0,
        annotations: this.chart.metadata.annotations,
        status: this.status,
      },
      this.ctx,
    );
    await this.ports.writeStatus(this.chart, this.status);
  }
}
