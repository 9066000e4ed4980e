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
import { SourceCondition, SourceReason } from '../../flux/source.ts';
import { errorChain } from '../../util/errors.ts';
import { withFinalizer } from '../finalizer-guard.ts';
import { writeFailureStatus } from '../status-writer.ts';
import type { Fetched, SourceKind, SourceObject, SourcePorts } from './ports.ts';

/**
 * The reconcile every artifact source shares (flux-behaviour.md §1): resolve and fetch, and store a new artifact only
 * when the revision or another input changed. A failure is recorded as a negative-polarity condition (FetchFailed,
 * IncludeUnavailable, StorageOperationFailed) with Ready=False, and the previous artifact stays in status and in
 * storage, so consumers keep applying the last good revision.
 */

const FAILURE_CONDITIONS = [
  SourceCondition.FetchFailed,
  SourceCondition.IncludeUnavailable,
  SourceCondition.StorageOperationFailed,
  SourceCondition.ArtifactOutdated,
];

/** A failed step: which negative condition to raise, with which reason. */
export class SourceFailure extends Error {
  readonly condition: string;
  readonly reason: string;
  constructor(condition: string, reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SourceFailure';
    this.condition = condition;
    this.reason = reason;
  }
}

/** A string property (`reason`, `condition`) of an error from main/sources, or the fallback. */
function propOf(err: unknown, prop: 'reason' | 'condition', fallback: string): string {
  const v = err instanceof Error ? (err as Error & Record<string, unknown>)[prop] : undefined;
  return typeof v === 'string' && v !== '' ? v : fallback;
}

function failure(err: unknown, condition: string, reason: string): SourceFailure {
  if (err instanceof SourceFailure) return err;
  return new SourceFailure(propOf(err, 'condition', condition), propOf(err, 'reason', reason), errorChain(err), {
    cause: err,
  });
}

export async function reconcileSource<T extends SourceObject, F extends Fetched, I>(
  obj: T,
  kind: SourceKind<T, F, I>,
  ports: SourcePorts<T>,
  signal: AbortSignal,
): Promise<ReconcileOutcome> {
  return withFinalizer(
    obj,
    ports,
    () => new SourceRun(obj, kind, ports, signal).execute(),
    () => ports.deleteArtifacts(obj),
  );
}

type StatusOf<T extends SourceObject> = NonNullable<T['status']>;

class SourceRun<T extends SourceObject, F extends Fetched, I> {
  private readonly obj: T;
  private readonly kind: SourceKind<T, F, I>;
  private readonly ports: SourcePorts<T>;
  private readonly signal: AbortSignal;
  private status: StatusOf<T>;

  constructor(obj: T, kind: SourceKind<T, F, I>, ports: SourcePorts<T>, signal: AbortSignal) {
    this.obj = obj;
    this.kind = kind;
    this.ports = ports;
    this.signal = signal;
    this.status = { ...(obj.status ?? {}), conditions: [...(obj.status?.conditions ?? [])] };
  }

  private get ctx(): ConditionContext {
    return { generation: this.obj.metadata.generation ?? 0, now: this.ports.now() };
  }

  private get namespace(): string {
    return this.obj.metadata.namespace ?? '';
  }

  async execute(): Promise<ReconcileOutcome> {
    try {
      await this.announce();
      const auth = await this.auth();
      const fetched = await this.fetch(auth);
      await this.verify(fetched, auth);
      const inputs = this.kind.inputs(this.obj);
      if (!(await this.upToDate(fetched, inputs))) await this.store(fetched, inputs);
      return await this.succeed();
    } catch (err) {
      if (this.signal.aborted) return { error: err };
      if (err instanceof SourceFailure) return this.fail(err);
      return this.fail(
        new SourceFailure(SourceCondition.StorageOperationFailed, Reason.Failed, errorChain(err), { cause: err }),
      );
    }
  }

  /** Says what is about to happen when it is more than a periodic check: a new generation, or a lost artifact. */
  private async announce(): Promise<void> {
    const generation = this.obj.metadata.generation ?? 0;
    const observed = this.status.observedGeneration ?? -1;
    let message: string | undefined;
    // Not held: the file is gone, or status names another digest (written by another engine: in-cluster Flux or
    // another instance, whose tarball of the same revision differs). Either way it is rebuilt and status rewritten.
    if (this.status.artifact && !(await this.ports.artifactExists(this.status.artifact)))
      message = 'building artifact: disappeared from storage or differs from status';
    else if (!this.status.artifact) message = 'building artifact';
    else if (generation !== observed) message = `processing object: new generation ${observed} -> ${generation}`;
    if (!message) return;
    this.status.conditions = markReconciling(this.status.conditions, { reason: Reason.Progressing, message }, this.ctx);
    this.status.conditions = markUnknown(
      this.status.conditions,
      { type: ConditionType.Ready, reason: Reason.Progressing, message: 'reconciliation in progress' },
      this.ctx,
    );
    await this.ports.writeStatus(this.obj, this.status);
  }

  private async auth(): Promise<Record<string, string> | undefined> {
    const ref = this.obj.spec.secretRef;
    if (!ref) return undefined;
    const what = `failed to get secret '${this.namespace}/${ref.name}'`;
    const data = await this.ports.secret(this.namespace, ref.name, this.signal).catch((err: unknown) => {
      throw new SourceFailure(
        SourceCondition.FetchFailed,
        SourceReason.AuthenticationFailed,
        `${what}: ${errorChain(err)}`,
        { cause: err },
      );
    });
    if (!data)
      throw new SourceFailure(
        SourceCondition.FetchFailed,
        SourceReason.AuthenticationFailed,
        `${what}: secrets "${ref.name}" not found`,
      );
    return data;
  }

  private async fetch(auth: Record<string, string> | undefined): Promise<F> {
    try {
      return await this.kind.fetch(this.obj, auth, this.signal);
    } catch (err) {
      throw failure(err, SourceCondition.FetchFailed, this.kind.fetchFailedReason);
    }
  }

  /**
   * The revision's signature, checked once per revision and generation as source-controller does (SourceVerified stays
   * True while neither changes); the condition goes away when the object stops asking for verification.
   */
  private async verify(fetched: F, auth: Record<string, string> | undefined): Promise<void> {
    if (!this.kind.verify) return;
    const verified = this.status.conditions?.find((c) => c.type === SourceCondition.SourceVerified);
    if (
      verified?.status === 'True' &&
      verified.observedGeneration === this.obj.metadata.generation &&
      this.status.artifact?.revision === fetched.revision &&
      (this.obj.spec as { verify?: unknown }).verify
    )
      return;
    let message: string | undefined;
    try {
      message = await this.kind.verify(this.obj, fetched, auth, this.signal);
    } catch (err) {
      throw failure(err, SourceCondition.SourceVerified, SourceReason.VerificationError);
    }
    this.status.conditions =
      message === undefined
        ? deleteCondition(this.status.conditions, SourceCondition.SourceVerified)
        : markTrue(
            this.status.conditions,
            { type: SourceCondition.SourceVerified, reason: Reason.Succeeded, message },
            this.ctx,
          );
  }

  /** Nothing to store when the revision and every input of the artifact are what the stored artifact was built from. */
  private async upToDate(fetched: F, inputs: I): Promise<boolean> {
    const a = this.status.artifact;
    if (!a || a.revision !== fetched.revision || !(await this.ports.artifactExists(a))) return false;
    return this.kind.sameInputs(this.obj, this.status, inputs);
  }

  private async store(fetched: F, inputs: I): Promise<void> {
    const newRevision = this.status.artifact?.revision !== fetched.revision;
    if (this.status.artifact && newRevision) {
      this.status.conditions = markTrue(
        this.status.conditions,
        {
          type: SourceCondition.ArtifactOutdated,
          reason: SourceReason.NewRevision,
          message: `new upstream revision '${fetched.revision}'`,
        },
        this.ctx,
      );
    }
    const message = newRevision
      ? `building artifact: new upstream revision '${fetched.revision}'`
      : `building artifact for revision '${fetched.revision}'`;
    this.status.conditions = markReconciling(this.status.conditions, { reason: Reason.Progressing, message }, this.ctx);
    try {
      this.status.artifact = await this.kind.store(this.obj, fetched, inputs, this.signal);
    } catch (err) {
      throw failure(err, SourceCondition.StorageOperationFailed, SourceReason.ArchiveOperationFailed);
    }
    this.kind.observe(this.obj, this.status, inputs);
    this.ports.event(this.obj, {
      type: 'Normal',
      reason: 'NewArtifact',
      message: `stored artifact for ${fetched.describe}`,
      revision: fetched.revision,
    });
  }

  private async succeed(): Promise<ReconcileOutcome> {
    const revision = this.status.artifact?.revision ?? '';
    for (const c of FAILURE_CONDITIONS) this.status.conditions = deleteCondition(this.status.conditions, c);
    const message = `stored artifact for revision '${revision}'`;
    this.status.conditions = markTrue(
      this.status.conditions,
      { type: SourceCondition.ArtifactInStorage, reason: Reason.Succeeded, message },
      this.ctx,
    );
    this.status.conditions = markTrue(
      this.status.conditions,
      { type: ConditionType.Ready, reason: Reason.Succeeded, message },
      this.ctx,
    );
    await this.write();
    return { requeueAfterMs: parseDuration(this.obj.spec.interval) };
  }

  private async fail(err: SourceFailure): Promise<ReconcileOutcome> {
    const e = { reason: err.reason, message: err.message };
    // SourceVerified is of positive polarity: a failed verification sets it False; the other failures are set True.
    const mark = err.condition === SourceCondition.SourceVerified ? markFalse : markTrue;
    this.status.conditions = mark(this.status.conditions, { type: err.condition, ...e }, this.ctx);
    this.status.conditions = markReconciling(
      this.status.conditions,
      { reason: Reason.ProgressingWithRetry, message: err.message },
      this.ctx,
    );
    this.status.conditions = markFalse(this.status.conditions, { type: ConditionType.Ready, ...e }, this.ctx);
    const unwritten = await writeFailureStatus(() => this.write(), err.message);
    if (unwritten) return { error: unwritten };
    this.ports.event(this.obj, { type: 'Warning', ...e });
    // Sources retry with the queue's exponential backoff, as source-controller does.
    return { error: err };
  }

  private async write(): Promise<void> {
    this.status = finalizeStatus<StatusOf<T>>(
      {
        generation: this.obj.metadata.generation ?? 0,
        annotations: this.obj.metadata.annotations,
        status: this.status,
      },
      this.ctx,
    );
    await this.ports.writeStatus(this.obj, this.status);
  }
}
