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
import { ConditionType, FLUX_FINALIZER, Reason } from '../../flux/meta.ts';
import {
  type Artifact,
  type GitRepository,
  type GitRepositoryInclude,
  type GitRepositoryStatus,
  SourceCondition,
  SourceReason,
} from '../../flux/source.ts';
import { errorChain } from '../../util/errors.ts';
import type { FetchedRevision, GitRepositoryPorts, ResolvedInclude } from './ports.ts';

/**
 * The GitRepository reconciler (flux-behaviour.md §1.3–§1.4): resolve the ref, fetch, and store a new artifact only
 * when the revision, the ignore rules or the includes changed. A failure is recorded as a negative-polarity
 * condition (FetchFailed, IncludeUnavailable, StorageOperationFailed) with Ready=False, and the previous artifact
 * stays in status and in storage, so Kustomizations keep applying the last good revision.
 */

const FAILURE_CONDITIONS = [
  SourceCondition.FetchFailed,
  SourceCondition.IncludeUnavailable,
  SourceCondition.StorageOperationFailed,
  SourceCondition.ArtifactOutdated,
];

/** A failed step: which negative condition to raise, with which reason. */
class SourceError extends Error {
  readonly condition: string;
  readonly reason: string;
  constructor(condition: string, reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SourceError';
    this.condition = condition;
    this.reason = reason;
  }
}

/** A string property (`reason`, `condition`) of an error from main/sources, or the fallback. */
function propOf(err: unknown, prop: 'reason' | 'condition', fallback: string): string {
  const v = err instanceof Error ? (err as Error & Record<string, unknown>)[prop] : undefined;
  return typeof v === 'string' && v !== '' ? v : fallback;
}

function sourceError(err: unknown, condition: string, reason: string): SourceError {
  return new SourceError(propOf(err, 'condition', condition), propOf(err, 'reason', reason), errorChain(err), {
    cause: err,
  });
}

export async function reconcileGitRepository(
  repo: GitRepository,
  ports: GitRepositoryPorts,
  signal: AbortSignal,
): Promise<ReconcileOutcome> {
  if (repo.metadata.deletionTimestamp) {
    if ((repo.metadata.finalizers ?? []).includes(FLUX_FINALIZER)) {
      await ports.deleteArtifacts(repo);
      await ports.setFinalizer(repo, false);
    }
    return {};
  }
  if (repo.spec.suspend) return {};
  if (!(repo.metadata.finalizers ?? []).includes(FLUX_FINALIZER)) await ports.setFinalizer(repo, true);
  return new GitRepositoryRun(repo, ports, signal).execute();
}

class GitRepositoryRun {
  private readonly repo: GitRepository;
  private readonly ports: GitRepositoryPorts;
  private readonly signal: AbortSignal;
  private status: GitRepositoryStatus;

  constructor(repo: GitRepository, ports: GitRepositoryPorts, signal: AbortSignal) {
    this.repo = repo;
    this.ports = ports;
    this.signal = signal;
    this.status = { ...(repo.status ?? {}), conditions: [...(repo.status?.conditions ?? [])] };
  }

  private get ctx(): ConditionContext {
    return { generation: this.repo.metadata.generation ?? 0, now: this.ports.now() };
  }

  private get namespace(): string {
    return this.repo.metadata.namespace ?? '';
  }

  async execute(): Promise<ReconcileOutcome> {
    try {
      await this.announce();
      const auth = await this.auth();
      const fetched = await this.fetch(auth);
      const includes = this.includes();
      if (!(await this.upToDate(fetched, includes))) await this.store(fetched, includes);
      return await this.succeed();
    } catch (err) {
      if (this.signal.aborted) return { error: err };
      if (err instanceof SourceError) return this.fail(err);
      return this.fail(
        new SourceError(SourceCondition.StorageOperationFailed, Reason.Failed, errorChain(err), { cause: err }),
      );
    }
  }

  /** Says what is about to happen when it is more than a periodic check: a new generation, or a lost artifact. */
  private async announce(): Promise<void> {
    const generation = this.repo.metadata.generation ?? 0;
    const observed = this.status.observedGeneration ?? -1;
    let message: string | undefined;
    if (this.status.artifact && !(await this.ports.artifactExists(this.status.artifact)))
      message = 'building artifact: disappeared from storage';
    else if (!this.status.artifact) message = 'building artifact';
    else if (generation !== observed) message = `processing object: new generation ${observed} -> ${generation}`;
    if (!message) return;
    this.status.conditions = markReconciling(this.status.conditions, { reason: Reason.Progressing, message }, this.ctx);
    this.status.conditions = markUnknown(
      this.status.conditions,
      { type: ConditionType.Ready, reason: Reason.Progressing, message: 'reconciliation in progress' },
      this.ctx,
    );
    await this.ports.writeStatus(this.repo, this.status);
  }

  private async auth(): Promise<Record<string, string> | undefined> {
    const ref = this.repo.spec.secretRef;
    if (!ref) return undefined;
    const data = await this.ports.secret(this.namespace, ref.name, this.signal).catch((err: unknown) => {
      throw new SourceError(
        SourceCondition.FetchFailed,
        SourceReason.AuthenticationFailed,
        `failed to get secret '${this.namespace}/${ref.name}': ${errorChain(err)}`,
        { cause: err },
      );
    });
    if (!data) {
      throw new SourceError(
        SourceCondition.FetchFailed,
        SourceReason.AuthenticationFailed,
        `failed to get secret '${this.namespace}/${ref.name}': secrets "${ref.name}" not found`,
      );
    }
    return data;
  }

  private async fetch(auth: Record<string, string> | undefined): Promise<FetchedRevision> {
    try {
      return await this.ports.fetch(this.repo, auth, this.signal);
    } catch (err) {
      throw sourceError(err, SourceCondition.FetchFailed, SourceReason.GitOperationFailed);
    }
  }

  private includes(): ResolvedInclude[] {
    return (this.repo.spec.include ?? []).map((include) => {
      const name = include.repository.name;
      const artifact = this.ports.includedArtifact(this.namespace, name);
      if (!artifact) {
        throw new SourceError(
          SourceCondition.IncludeUnavailable,
          'NotFound',
          `could not get artifact of included GitRepository '${this.namespace}/${name}': it does not exist or has no artifact yet`,
        );
      }
      return { include, artifact };
    });
  }

  /** Nothing to store when the revision and every input of the artifact are what the stored artifact was built from. */
  private async upToDate(fetched: FetchedRevision, includes: ResolvedInclude[]): Promise<boolean> {
    const s = this.status;
    if (!s.artifact || s.artifact.revision !== fetched.revision || !(await this.ports.artifactExists(s.artifact)))
      return false;
    if ((s.observedIgnore ?? undefined) !== (this.repo.spec.ignore ?? undefined)) return false;
    if (!sameIncludes(s.observedInclude, this.repo.spec.include)) return false;
    const before = (s.includedArtifacts ?? []).map((a) => a.digest).join(',');
    return before === includes.map((i) => i.artifact.digest).join(',');
  }

  private async store(fetched: FetchedRevision, includes: ResolvedInclude[]): Promise<void> {
    if (this.status.artifact) {
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
    const message = `building artifact: new upstream revision '${fetched.revision}'`;
    this.status.conditions = markReconciling(this.status.conditions, { reason: Reason.Progressing, message }, this.ctx);
    let artifact: Artifact;
    try {
      artifact = await this.ports.storeArtifact(this.repo, fetched, includes, this.signal);
    } catch (err) {
      throw sourceError(err, SourceCondition.StorageOperationFailed, SourceReason.ArchiveOperationFailed);
    }
    this.status.artifact = artifact;
    this.status.includedArtifacts = includes.length > 0 ? includes.map((i) => i.artifact) : undefined;
    this.status.observedIgnore = this.repo.spec.ignore;
    this.status.observedInclude = this.repo.spec.include;
    this.status.observedRecurseSubmodules = this.repo.spec.recurseSubmodules;
    this.ports.event(this.repo, {
      type: 'Normal',
      reason: 'NewArtifact',
      message: `stored artifact for commit '${fetched.subject}'`,
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
    return { requeueAfterMs: parseDuration(this.repo.spec.interval) };
  }

  private async fail(err: SourceError): Promise<ReconcileOutcome> {
    this.status.conditions = markTrue(
      this.status.conditions,
      { type: err.condition, reason: err.reason, message: err.message },
      this.ctx,
    );
    this.status.conditions = markReconciling(
      this.status.conditions,
      { reason: Reason.ProgressingWithRetry, message: err.message },
      this.ctx,
    );
    this.status.conditions = markFalse(
      this.status.conditions,
      { type: ConditionType.Ready, reason: err.reason, message: err.message },
      this.ctx,
    );
    try {
      await this.write();
    } catch (writeErr) {
      return {
        error: new Error(`${err.message}; and the status could not be written: ${errorChain(writeErr)}`, {
          cause: writeErr,
        }),
      };
    }
    this.ports.event(this.repo, { type: 'Warning', reason: err.reason, message: err.message });
    // Sources retry with the queue's exponential backoff, as source-controller does.
    return { error: err };
  }

  private async write(): Promise<void> {
    this.status = finalizeStatus(
      {
        generation: this.repo.metadata.generation ?? 0,
        annotations: this.repo.metadata.annotations,
        status: this.status,
      },
      this.ctx,
    );
    if (this.status.includedArtifacts === undefined) delete this.status.includedArtifacts;
    await this.ports.writeStatus(this.repo, this.status);
  }
}

function sameIncludes(a: GitRepositoryInclude[] | undefined, b: GitRepositoryInclude[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}
