import type { ReconcileOutcome } from '../../engine/controller-manager.ts';
import {
  type ConditionContext,
  finalizeStatus,
  markFalse,
  markReconciling,
  markStalled,
  markTrue,
} from '../../flux/conditions.ts';
import { parseDuration } from '../../flux/duration.ts';
import { ImageReason, type ImageUpdateAutomation, type ImageUpdateAutomationStatus } from '../../flux/image.ts';
import { ConditionType, Reason } from '../../flux/meta.ts';
import type { GitRepository } from '../../flux/source.ts';
import {
  checkMessageTemplate,
  commitMessage,
  RemovedTemplateFieldError,
  templateData,
} from '../../images/commit-message.ts';
import type { GitRef } from '../../sources/git/git-reference.ts';
import { errorChain } from '../../util/errors.ts';
import { withFinalizer } from '../finalizer-guard.ts';
import { checksOutBranch, GitUpdateError, type GitUpdateRequest, type GitUpdateResult } from './git-update.ts';
import { type CommitSigner, openpgpSigner, SigningKeyError } from './openpgp-signer.ts';
import { selectedPolicies, SelectorError } from './policy-selection.ts';
import type { ImageUpdateAutomationPorts } from './ports.ts';

/**
 * The ImageUpdateAutomation reconciler (image-automation-controller): the selected policies' latest refs written
 * into the GitRepository's files by their markers, committed and pushed (never forced), then the GitRepository
 * asked to reconcile so the Kustomization follows. A failed run keeps the last push in status.
 */

/** Why a spec cannot run until someone changes it; these stall instead of retrying. */
class Stall extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

class RunFailure extends Error {
  readonly reason: string;
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** The spec checks Flux does before touching git, as Stalls. */
export function checkSpec(a: ImageUpdateAutomation): void {
  const strategy: string = a.spec.update?.strategy ?? 'Setters';
  if (strategy !== 'Setters')
    throw new Stall(ImageReason.InvalidUpdateStrategy, `update strategy '${strategy}' is not supported; use Setters`);
  const signing = a.spec.git?.commit.signingKey;
  if (signing && (signing.type ?? 'gpg') !== 'gpg')
    throw new Stall(
      'SigningNotSupported',
      `spec.git.commit.signingKey: type '${signing.type ?? ''}' is not supported by Fluxdeck (only gpg, OpenPGP keys), and it will not push unsigned commits in its place`,
    );
  try {
    checkMessageTemplate(a.spec.git?.commit.messageTemplate);
  } catch (err) {
    const reason =
      err instanceof RemovedTemplateFieldError ? ImageReason.RemovedTemplateField : 'InvalidMessageTemplate';
    throw new Stall(reason, `spec.git.commit.messageTemplate: ${(err as Error).message}`);
  }
}

/**
 * The checkout ref (`git.checkout.ref`, else the GitRepository's ref: branch, tag, semver, name or commit) and the
 * push branch (`git.push.branch`, else the checkout branch; required when the checkout is not a branch).
 */
export function branchesOf(a: ImageUpdateAutomation, repo: GitRepository): { checkout: GitRef; push: string } {
  const ref = a.spec.git?.checkout?.ref ?? repo.spec.ref ?? {};
  const push = a.spec.git?.push?.branch ?? (checksOutBranch(ref) ? (ref.branch ?? 'master') : undefined);
  if (!push)
    throw new Stall(
      ImageReason.InvalidSourceConfiguration,
      'git.push.branch is required when the checkout ref is a tag, semver range, name or commit (there is no branch to push to)',
    );
  return { checkout: ref, push };
}

/**
 * Cloud credentials of the GitRepository (`provider` azure/github, `serviceAccountName`) are not implemented: say so
 * rather than push with no credentials.
 */
export function checkSourceAuth(repo: GitRepository): void {
  const provider = repo.spec.provider ?? 'generic';
  if (provider !== 'generic' || repo.spec.serviceAccountName)
    throw new Stall(
      ImageReason.InvalidSourceConfiguration,
      `GitRepository ${repo.metadata.namespace ?? ''}/${repo.metadata.name ?? ''}: provider '${provider}'${repo.spec.serviceAccountName ? ` with serviceAccountName '${repo.spec.serviceAccountName}'` : ''} (cloud workload identity) is not supported by Fluxdeck's image automation; use spec.secretRef`,
    );
}

export async function reconcileImageUpdateAutomation(
  a: ImageUpdateAutomation,
  ports: ImageUpdateAutomationPorts,
  signal: AbortSignal,
): Promise<ReconcileOutcome> {
  return withFinalizer(a, ports, () => new AutomationRun(a, ports, signal).execute());
}

class AutomationRun {
  private status: ImageUpdateAutomationStatus;
  private readonly a: ImageUpdateAutomation;
  private readonly ports: ImageUpdateAutomationPorts;
  private readonly signal: AbortSignal;

  constructor(a: ImageUpdateAutomation, ports: ImageUpdateAutomationPorts, signal: AbortSignal) {
    this.a = a;
    this.ports = ports;
    this.signal = signal;
    this.status = { ...(a.status ?? {}), conditions: [...(a.status?.conditions ?? [])] };
  }

  private get ctx(): ConditionContext {
    return { generation: this.a.metadata.generation ?? 0, now: this.ports.now() };
  }

  private get namespace(): string {
    return this.a.metadata.namespace ?? '';
  }

  async execute(): Promise<ReconcileOutcome> {
    try {
      checkSpec(this.a);
      const repo = this.source();
      checkSourceAuth(repo);
      const branches = branchesOf(this.a, repo);
      const { refs, observed } = this.policies();
      this.status.conditions = markReconciling(
        this.status.conditions,
        { reason: Reason.Progressing, message: 'reconciliation in progress' },
        this.ctx,
      );
      const result = await this.run(repo, branches, refs);
      return await this.succeed(repo, branches.push, result, observed);
    } catch (err) {
      if (this.signal.aborted) return { error: err };
      return this.fail(err);
    }
  }

  private source(): GitRepository {
    const ref = this.a.spec.sourceRef;
    const kind: string = ref.kind;
    if (kind !== 'GitRepository')
      throw new Stall(ImageReason.InvalidSourceConfiguration, `source kind '${kind}' not supported`);
    const repo = this.ports.gitRepository(ref.namespace ?? this.namespace, ref.name);
    if (!repo)
      throw new RunFailure(
        ImageReason.DependencyNotReady,
        `failed to get source: GitRepository '${ref.namespace ?? this.namespace}/${ref.name}' not found`,
      );
    return repo;
  }

  private policies(): ReturnType<typeof selectedPolicies> {
    try {
      return selectedPolicies(this.ports.policies(this.namespace), this.a.spec.policySelector);
    } catch (err) {
      if (err instanceof SelectorError) throw new Stall(ImageReason.InvalidPolicySelector, err.message);
      throw err;
    }
  }

  private async run(
    repo: GitRepository,
    branches: { checkout: GitRef; push: string },
    refs: ReturnType<typeof selectedPolicies>['refs'],
  ): Promise<GitUpdateResult> {
    const auth = await this.ports.gitAuth(repo, this.signal);
    const sign = await this.signer();
    try {
      return await this.ports.update(this.a, { ...this.request(repo, branches, refs), auth, sign });
    } catch (err) {
      if (err instanceof GitUpdateError)
        throw new RunFailure(ImageReason.GitOperationFailed, err.message, { cause: err });
      throw new RunFailure(ImageReason.UpdateFailed, errorChain(err), { cause: err });
    }
  }

  private request(
    repo: GitRepository,
    branches: { checkout: GitRef; push: string },
    refs: ReturnType<typeof selectedPolicies>['refs'],
  ): Omit<GitUpdateRequest, 'dir' | 'auth' | 'sign'> {
    const git = this.a.spec.git;
    const author = git?.commit.author;
    return {
      url: repo.spec.url,
      checkout: branches.checkout,
      pushBranch: branches.push,
      refspec: git?.push?.refspec,
      pushOptions: git?.push?.options,
      updatePath: this.a.spec.update?.path,
      policies: refs,
      author: { name: author?.name ?? 'Fluxcd', email: author?.email ?? 'noreply@fluxcd.io' },
      message: (run) =>
        commitMessage(
          git?.commit.messageTemplate,
          templateData(
            { namespace: this.namespace, name: this.a.metadata.name ?? '' },
            run.changes,
            git?.commit.messageTemplateValues,
          ),
        ),
      signal: this.signal,
      timeoutMs: repo.spec.timeout ? parseDuration(repo.spec.timeout) : 60_000,
    };
  }

  /** The signer of `git.commit.signingKey`, or undefined without one; a key that cannot sign fails the run. */
  private async signer(): Promise<CommitSigner | undefined> {
    const ref = this.a.spec.git?.commit.signingKey?.secretRef;
    if (!ref) return undefined;
    const data = await this.ports.secret(this.namespace, ref.name, this.signal);
    if (!data)
      throw new RunFailure(
        ImageReason.InvalidSourceConfiguration,
        `git.commit.signingKey: secret '${this.namespace}/${ref.name}' not found`,
      );
    try {
      return await openpgpSigner(data['git.asc'], data.passphrase);
    } catch (err) {
      if (!(err instanceof SigningKeyError)) throw err;
      throw new RunFailure(
        'InvalidSigningKey',
        `git.commit.signingKey (secret '${this.namespace}/${ref.name}'): ${err.message}`,
      );
    }
  }

  private async succeed(
    repo: GitRepository,
    branch: string,
    result: GitUpdateResult,
    observed: Record<string, { name: string; tag: string; digest?: string }>,
  ): Promise<ReconcileOutcome> {
    const now = this.ports
      .now()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
    this.status.lastAutomationRunTime = now;
    this.status.observedPolicies = observed;
    this.status.observedSourceRevision = `${branch}@sha1:${result.status === 'pushed' ? result.commit : result.head}`;
    const { run } = result;
    let message = 'repository up-to-date';
    if (run.skipped.length > 0) message += `; skipped files that are not valid YAML: ${run.skipped.join('; ')}`;
    if (result.status === 'pushed') {
      this.status.lastPushCommit = result.commit;
      this.status.lastPushTime = now;
    }
    this.status.conditions = markTrue(
      this.status.conditions,
      { type: ConditionType.Ready, reason: Reason.Succeeded, message },
      this.ctx,
    );
    await this.write();
    if (result.status === 'pushed') {
      const files = run.edits.length;
      this.ports.event(this.a, {
        type: 'Normal',
        reason: Reason.Succeeded,
        message: `pushed commit '${result.commit.slice(0, 7)}' to branch '${branch}' updating ${files} file${files === 1 ? '' : 's'}`,
        revision: `${branch}@sha1:${result.commit}`,
      });
      await this.ports.requestReconcile(repo, now).catch(() => undefined);
    }
    if (run.skipped.length > 0 || run.notes.length > 0)
      this.ports.event(this.a, {
        type: 'Warning',
        reason: ImageReason.UpdateFailed,
        message: [...run.skipped.map((s) => `skipped ${s}`), ...run.notes].join('\n'),
      });
    return { requeueAfterMs: parseDuration(this.a.spec.interval) };
  }

  private async fail(err: unknown): Promise<ReconcileOutcome> {
    const stall = err instanceof Stall;
    const reason = stall || err instanceof RunFailure ? err.reason : Reason.Failed;
    const message = err instanceof Error ? err.message : String(err);
    const e = { reason, message };
    if (stall) this.status.conditions = markStalled(this.status.conditions, e, this.ctx);
    this.status.conditions = markFalse(this.status.conditions, { type: ConditionType.Ready, ...e }, this.ctx);
    if (!stall && !this.status.conditions.some((c) => c.type === ConditionType.Reconciling))
      this.status.conditions = markReconciling(
        this.status.conditions,
        { reason: Reason.ProgressingWithRetry, message },
        this.ctx,
      );
    try {
      await this.write();
    } catch (writeErr) {
      return { error: new Error(`${message}; and the status could not be written: ${errorChain(writeErr)}`) };
    }
    this.ports.event(this.a, { type: 'Warning', ...e });
    return stall ? { failure: message } : { error: err };
  }

  private async write(): Promise<void> {
    this.status = finalizeStatus<ImageUpdateAutomationStatus>(
      { generation: this.a.metadata.generation ?? 0, annotations: this.a.metadata.annotations, status: this.status },
      this.ctx,
    );
    await this.ports.writeStatus(this.a, this.status);
  }
}
