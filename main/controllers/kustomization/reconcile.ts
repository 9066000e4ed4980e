import type { ReconcileOutcome } from '../../engine/controller-manager.ts';
import {
  type ConditionContext,
  deleteCondition,
  finalizeStatus,
  getCondition,
  markFalse,
  markReconciling,
  markRetrying,
  markTrue,
  markUnknown,
} from '../../flux/conditions.ts';
import { formatDuration, parseDuration } from '../../flux/duration.ts';
import { upsertHistory } from '../../flux/history.ts';
import {
  deletesOnFinalize,
  type Kustomization,
  kustomizationRetryIntervalMs,
  type KustomizationStatus,
  kustomizationTimeoutMs,
} from '../../flux/kustomize.ts';
import { ConditionType, FLUX_FINALIZER, Reason } from '../../flux/meta.ts';
import type { Artifact } from '../../flux/source.ts';
import { changed, type ChangeSetEntry, changeSetMessage } from '../../kube/change-set.ts';
import { inventoryFromChangeSet, inventoryRefs, staleObjects } from '../../kube/inventory.ts';
import { ApplyError } from '../../kube/resource-manager.ts';
import { errorChain } from '../../util/errors.ts';
import { writeFailureStatus } from '../status-writer.ts';
import { checkDependencies } from './dependencies.ts';
import type { Applier, KustomizationPorts } from './ports.ts';

/**
 * The Kustomization reconciler, step for step as kustomize-controller runs it (flux-behaviour.md §2.2): source,
 * dependencies, fetch, build, apply, inventory, prune, health, status. Each failure is recorded on the object with
 * Flux's reason and a message that says what went wrong, and nothing is pruned unless the apply succeeded, so the
 * last good state stays in the cluster.
 */

/** A failed step: the Ready reason to record and how soon to retry. */
class StepError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StepError';
    this.reason = reason;
  }
}

/** Runs a step, turning any error into a StepError with the step's reason (messages keep their causes). */
async function step<T>(reason: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StepError) throw err;
    throw new StepError(reason, what ? `${what}: ${errorChain(err)}` : errorChain(err), { cause: err });
  }
}

export async function reconcileKustomization(
  ks: Kustomization,
  ports: KustomizationPorts,
  signal: AbortSignal,
): Promise<ReconcileOutcome> {
  if (ks.metadata.deletionTimestamp) return finalize(ks, ports, signal);
  if (ks.spec.suspend) return {};
  if (!(ks.metadata.finalizers ?? []).includes(FLUX_FINALIZER)) await ports.setFinalizer(ks, true);
  return new KustomizationRun(ks, ports, signal).execute();
}

/** Deletion: garbage-collect the inventory when the deletion policy says so, then release the finalizer. */
async function finalize(ks: Kustomization, ports: KustomizationPorts, signal: AbortSignal): Promise<ReconcileOutcome> {
  if (!(ks.metadata.finalizers ?? []).includes(FLUX_FINALIZER)) return {};
  const inventory = ks.status?.inventory;
  if (deletesOnFinalize(ks.spec) && inventory && inventory.entries.length > 0 && !ks.spec.suspend) {
    let applier: Applier | undefined;
    try {
      applier = await ports.applier(ks, signal);
    } catch (err) {
      // As Flux: if the identity used to apply is gone, say what is left behind and let the object go.
      ports.event(ks, {
        type: 'Warning',
        reason: 'PruneFailed',
        message: `cannot delete the inventory (${inventory.entries.length} objects are left in the cluster): ${errorChain(err)}`,
      });
    }
    if (applier) {
      const deleted = await applier.prune(inventoryRefs(inventory), { signal });
      const message = changeSetMessage(deleted);
      if (message) ports.event(ks, { type: 'Normal', reason: 'Progressing', message });
    }
  }
  await ports.setFinalizer(ks, false);
  return {};
}

/** The failures after a successful build that kustomize-controller records in `status.history`. */
const HISTORY_FAILURES = new Set<string>([Reason.ReconciliationFailed, Reason.PruneFailed, Reason.HealthCheckFailed]);

class KustomizationRun {
  private readonly ks: Kustomization;
  private readonly ports: KustomizationPorts;
  private readonly signal: AbortSignal;
  private status: KustomizationStatus;
  private readonly started = performance.now();
  private readonly timeoutMs: number;
  /** What was built, once the build succeeded: the snapshot a history entry records. */
  private built?: { digest: string; revision: string };

  constructor(ks: Kustomization, ports: KustomizationPorts, signal: AbortSignal) {
    this.ks = ks;
    this.ports = ports;
    this.signal = signal;
    this.status = { ...(ks.status ?? {}), conditions: [...(ks.status?.conditions ?? [])] };
    this.timeoutMs = kustomizationTimeoutMs(ks.spec);
  }

  private get ctx(): ConditionContext {
    return { generation: this.ks.metadata.generation ?? 0, now: this.ports.now() };
  }

  async execute(): Promise<ReconcileOutcome> {
    const source = this.ports.source(this.ks);
    const ref = this.ks.spec.sourceRef;
    const sourceId = `${ref.kind}/${ref.namespace ?? this.ks.metadata.namespace ?? ''}/${ref.name}`;
    if (!source.found) return this.fail(Reason.ArtifactFailed, `Source '${sourceId}' not found`, this.retryMs());
    if (!source.supported) {
      return this.fail(
        Reason.ArtifactFailed,
        `Source kind ${ref.kind} is not served by this cluster or not a Kustomization source; use a GitRepository, an OCIRepository or a Bucket`,
        this.retryMs(),
      );
    }
    const wait = formatDuration(this.ports.requeueDependencyMs);
    if (!source.artifact) {
      return this.fail(
        Reason.ArtifactFailed,
        `Source artifact not found, retrying in ${wait}`,
        this.ports.requeueDependencyMs,
        'none',
      );
    }
    const deps = checkDependencies(this.ks, (ns, name) => this.ports.dependency(ns, name), source.artifact.revision);
    if (!deps.ready) {
      const message = `Dependencies do not meet ready condition (${deps.message}), retrying in ${wait}`;
      return this.fail(Reason.DependencyNotReady, message, this.ports.requeueDependencyMs);
    }
    try {
      return await this.applyRevision(source.artifact);
    } catch (err) {
      if (this.signal.aborted) return { error: err };
      if (err instanceof StepError) return this.fail(err.reason, err.message, this.retryMs());
      return this.fail(Reason.ReconciliationFailed, errorChain(err), this.retryMs());
    }
  }

  private async applyRevision(artifact: Artifact): Promise<ReconcileOutcome> {
    const revision = artifact.revision;
    const timeout = formatDuration(this.timeoutMs);
    await this.progress(`Fetching manifests for revision ${revision} with a timeout of ${timeout}`);
    const files = await step(Reason.ArtifactFailed, 'failed to fetch the artifact', () =>
      this.ports.openArtifact(artifact, this.signal),
    );
    const path = this.ks.spec.path ?? '';
    if (!this.ports.hasPath(files, path))
      throw new StepError(
        Reason.ArtifactFailed,
        `kustomization path not found: '${path}' does not exist in revision ${revision}`,
      );
    this.status.lastAttemptedRevision = revision;
    const vars = await step(Reason.BuildFailed, '', () => this.ports.variables(this.ks, this.signal));
    const objects = await step(Reason.BuildFailed, '', () =>
      this.ports.build({ files, path, kustomization: this.ks, vars }, this.signal),
    );
    this.built = { digest: this.ports.manifestsDigest(objects), revision };
    const applier = await step(Reason.ReconciliationFailed, '', () => this.ports.applier(this.ks, this.signal));
    const entries = await step(Reason.ReconciliationFailed, '', () =>
      applier
        .apply(objects, { force: this.ks.spec.force ?? false, timeoutMs: this.timeoutMs, signal: this.signal })
        .catch((err: unknown) => {
          this.keepCreated(err);
          throw err;
        }),
    );
    this.reportChanges(entries, revision);
    const previous = this.status.inventory;
    this.status.inventory = inventoryFromChangeSet(entries);
    const stale = staleObjects(previous, this.status.inventory);
    if (this.ks.spec.prune && stale.length > 0) {
      const deleted = await step(Reason.PruneFailed, 'prune failed', () =>
        applier.prune(stale, { signal: this.signal }),
      );
      const message = changeSetMessage(deleted);
      if (message) this.ports.event(this.ks, { type: 'Normal', reason: Reason.Progressing, message, revision });
    }
    await this.checkHealth(applier, entries, revision);
    return this.succeed(revision);
  }

  /**
   * Objects a failed apply created before it stopped (an earlier stage, or new objects applied before a rejected one)
   * join the inventory, so a later revision without them prunes them instead of leaving them behind unowned.
   */
  private keepCreated(err: unknown): void {
    if (!(err instanceof ApplyError)) return;
    const created = err.changeSet.filter((e) => e.action === 'created');
    if (created.length === 0) return;
    const entries = this.status.inventory?.entries ?? [];
    const known = new Set(entries.map((e) => e.id));
    const added = inventoryFromChangeSet(created).entries.filter((e) => !known.has(e.id));
    this.status.inventory = { entries: [...entries, ...added] };
  }

  /** Flux's event for an apply: one line per object that changed. A change without a new revision is drift. */
  private reportChanges(entries: ChangeSetEntry[], revision: string): void {
    const message = changeSetMessage(entries);
    if (!message) return;
    const sameRevision = this.ks.status?.lastAppliedRevision === revision;
    const drifted = sameRevision ? changed(entries) : undefined;
    this.ports.event(this.ks, {
      type: 'Normal',
      reason: Reason.Progressing,
      message: drifted ? `drift corrected for revision ${revision}:\n${message}` : message,
      revision,
      ...(drifted ? { drifted } : {}),
    });
  }

  private async checkHealth(applier: Applier, entries: ChangeSetEntry[], revision: string): Promise<void> {
    const refs = healthCheckRefs(this.ks, entries);
    if (refs.length === 0) {
      this.status.conditions = deleteCondition(this.status.conditions, ConditionType.Healthy);
      return;
    }
    const timeout = formatDuration(this.timeoutMs);
    const message = `Running health checks for revision ${revision} with a timeout of ${timeout}`;
    this.status.conditions = markUnknown(
      this.status.conditions,
      { type: ConditionType.Healthy, reason: Reason.Progressing, message },
      this.ctx,
    );
    await this.progress(message);
    const started = performance.now();
    const result = await step(Reason.HealthCheckFailed, 'health check failed', () =>
      applier.waitHealthy(refs, { timeoutMs: this.timeoutMs, signal: this.signal }),
    );
    const took = formatDuration(Math.round(performance.now() - started));
    if (!result.healthy) {
      const failure = `health check failed after ${took}: ${result.message}`;
      this.status.conditions = markFalse(
        this.status.conditions,
        { type: ConditionType.Healthy, reason: Reason.HealthCheckFailed, message: failure },
        this.ctx,
      );
      throw new StepError(Reason.HealthCheckFailed, failure);
    }
    this.status.conditions = markTrue(
      this.status.conditions,
      { type: ConditionType.Healthy, reason: Reason.Succeeded, message: `Health check passed in ${took}` },
      this.ctx,
    );
  }

  private async succeed(revision: string): Promise<ReconcileOutcome> {
    const wasFailing = getCondition(this.ks.status?.conditions, ConditionType.Ready)?.status === 'False';
    this.status.lastAppliedRevision = revision;
    this.recordHistory(Reason.ReconciliationSucceeded);
    this.status.conditions = markTrue(
      this.status.conditions,
      { type: ConditionType.Ready, reason: Reason.ReconciliationSucceeded, message: `Applied revision: ${revision}` },
      this.ctx,
    );
    await this.write();
    const interval = parseDuration(this.ks.spec.interval);
    if (wasFailing || this.ks.status?.lastAppliedRevision !== revision) {
      const took = formatDuration(Math.round(performance.now() - this.started));
      this.ports.event(this.ks, {
        type: 'Normal',
        reason: Reason.ReconciliationSucceeded,
        message: `Reconciliation finished in ${took}, next run in ${formatDuration(interval)}`,
        revision,
      });
    }
    return { requeueAfterMs: interval };
  }

  /**
   * Records a failed attempt, with a Warning event unless `event` is 'none': waiting for a source's first artifact is
   * only recorded in status, as kustomize-controller only logs it, so a cluster starting up does not fill the inbox
   * with warnings that clear a second later (the source reports its own fetch failures).
   */
  private async fail(
    reason: string,
    message: string,
    retryAfterMs: number,
    event: 'Warning' | 'none' = 'Warning',
  ): Promise<ReconcileOutcome> {
    this.status.conditions = markRetrying(this.status.conditions, { reason, message }, this.ctx);
    if (HISTORY_FAILURES.has(reason)) this.recordHistory(reason);
    const unwritten = await writeFailureStatus(() => this.write(), message);
    if (unwritten) return { error: unwritten };
    if (event === 'none') return { requeueAfterMs: retryAfterMs, failure: message };
    this.ports.event(this.ks, {
      type: event,
      reason,
      message,
      ...(this.status.lastAttemptedRevision ? { revision: this.status.lastAttemptedRevision } : {}),
    });
    return { requeueAfterMs: retryAfterMs, failure: message };
  }

  /**
   * A `status.history` snapshot of this reconcile, as kustomize-controller records one once the build succeeded: the
   * build's digest, the outcome's reason, how long the reconcile took, and the revision as metadata.
   */
  private recordHistory(status: string): void {
    if (!this.built) return;
    this.status.history = upsertHistory(this.status.history, {
      digest: this.built.digest,
      now: this.ports.now(),
      durationMs: performance.now() - this.started,
      status,
      metadata: { revision: this.built.revision },
    });
  }

  /** Reconciling=True and Ready=Unknown with what is happening now, written at once so people can follow it. */
  private async progress(message: string): Promise<void> {
    this.status.conditions = markReconciling(this.status.conditions, { reason: Reason.Progressing, message }, this.ctx);
    this.status.conditions = markUnknown(
      this.status.conditions,
      { type: ConditionType.Ready, reason: Reason.Progressing, message: 'Reconciliation in progress' },
      this.ctx,
    );
    await this.ports.writeStatus(this.ks, this.status);
  }

  private async write(): Promise<void> {
    this.status = finalizeStatus(
      { generation: this.ks.metadata.generation ?? 0, annotations: this.ks.metadata.annotations, status: this.status },
      this.ctx,
    );
    await this.ports.writeStatus(this.ks, this.status);
  }

  private retryMs(): number {
    return kustomizationRetryIntervalMs(this.ks.spec);
  }
}

/**
 * What to health-check: everything applied when `wait` is set, else `healthChecks` (their namespace defaults to the
 * Kustomization's). The Kustomization never waits on itself.
 */
export function healthCheckRefs(
  ks: Kustomization,
  entries: ChangeSetEntry[],
): { group: string; kind: string; namespace: string; name: string; apiVersion?: string; version?: string }[] {
  const self = (r: { kind: string; namespace: string; name: string }): boolean =>
    r.kind === 'Kustomization' && r.namespace === (ks.metadata.namespace ?? '') && r.name === ks.metadata.name;
  if (ks.spec.wait)
    return entries
      .filter((e) => e.action !== 'skipped')
      .map((e) => ({ ...e.ref, version: e.version }))
      .filter((r) => !self(r));
  return (ks.spec.healthChecks ?? [])
    .map((h) => {
      const apiVersion = h.apiVersion ?? '';
      const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
      return {
        group,
        kind: h.kind,
        namespace: h.namespace ?? ks.metadata.namespace ?? '',
        name: h.name,
        ...(apiVersion ? { apiVersion } : {}),
      };
    })
    .filter((r) => !self(r));
}
