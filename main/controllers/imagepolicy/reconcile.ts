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
import {
  type ImagePolicy,
  type ImagePolicyStatus,
  ImageReason,
  type ImageRef,
  type ImageRepository,
} from '../../flux/image.ts';
import { ConditionType, Reason } from '../../flux/meta.ts';
import { errorChain } from '../../util/errors.ts';
import { withFinalizer } from '../finalizer-guard.ts';
import { canonicalImageName, imageRepositoryRef, type RegistryAccess } from '../imagerepository/scan.ts';
import { accessDenial } from './access.ts';
import type { ImagePolicyPorts } from './ports.ts';
import { compileTagSelector, TagSelectionError } from './select-tag.ts';

/**
 * The ImagePolicy reconciler (image-reflector-controller's `imagepolicy_controller.go`): the referred repository's
 * stored tags through the policy, then `latestRef` (with the digest as `digestReflectionPolicy` asks) and
 * `observedPreviousRef` when it changed. A failure keeps the last `latestRef`, so automations keep the last good tag.
 */

/** Flux's `metav1.StatusFailure`, the reason of failures without a more specific one. */
const FAILURE = 'Failure';
/** `GetInterval()` without `spec.interval`. */
const DEFAULT_INTERVAL_MS = 10 * 60_000;

/** A failed step: the reason, and whether it stalls (no retry until the spec changes) or is retried. */
class PolicyFailure extends Error {
  readonly reason: string;
  readonly mode: 'stall' | 'retry' | 'wait';
  constructor(reason: string, message: string, mode: 'stall' | 'retry' | 'wait', options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
    this.mode = mode;
  }
}

export function composeReadyMessage(latest: ImageRef, previous: ImageRef | undefined): string {
  let msg = `Latest image tag for ${latest.name} resolved to ${latest.tag}`;
  if (latest.digest) msg += ` with digest ${latest.digest}`;
  if (previous && !sameRef(previous, latest)) {
    msg += ` (previously ${previous.name}:${previous.tag}${previous.digest ? `@${previous.digest}` : ''})`;
  }
  return msg;
}

/**
 * The digest to keep without asking the registry: '' when none is wanted (Never), the current one when IfNotPresent
 * finds the same image and tag with a digest; undefined when it must be fetched.
 */
function knownDigest(mode: string | undefined, current: ImageRef | undefined, latest: ImageRef): string | undefined {
  if (mode === undefined || mode === 'Never') return '';
  if (mode === 'Always') return undefined;
  const same = current?.name === latest.name && current.tag === latest.tag;
  return same && current.digest ? current.digest : undefined;
}

const sameRef = (a: ImageRef | undefined, b: ImageRef | undefined): boolean =>
  a?.name === b?.name && a?.tag === b?.tag && (a?.digest ?? '') === (b?.digest ?? '');

export async function reconcileImagePolicy(
  policy: ImagePolicy,
  ports: ImagePolicyPorts,
  signal: AbortSignal,
): Promise<ReconcileOutcome> {
  return withFinalizer(policy, ports, () => new PolicyRun(policy, ports, signal).execute());
}

class PolicyRun {
  private status: ImagePolicyStatus;
  private readonly policy: ImagePolicy;
  private readonly ports: ImagePolicyPorts;
  private readonly signal: AbortSignal;

  constructor(policy: ImagePolicy, ports: ImagePolicyPorts, signal: AbortSignal) {
    this.policy = policy;
    this.ports = ports;
    this.signal = signal;
    this.status = { ...(policy.status ?? {}), conditions: [...(policy.status?.conditions ?? [])] };
  }

  private get ctx(): ConditionContext {
    return { generation: this.policy.metadata.generation ?? 0, now: this.ports.now() };
  }

  private get namespace(): string {
    return this.policy.metadata.namespace ?? '';
  }

  async execute(): Promise<ReconcileOutcome> {
    try {
      const interval = this.interval();
      await this.announce();
      const repo = await this.repository();
      const tag = await this.select(repo);
      const latest = await this.reference(repo, tag);
      return await this.succeed(latest, interval);
    } catch (err) {
      if (this.signal.aborted) return { error: err };
      if (err instanceof PolicyFailure) return this.fail(err);
      return this.fail(new PolicyFailure(FAILURE, errorChain(err), 'retry', { cause: err }));
    }
  }

  private interval(): number {
    const { digestReflectionPolicy, interval } = this.policy.spec;
    if (digestReflectionPolicy === 'Always' && !interval)
      throw new PolicyFailure(
        ImageReason.IntervalNotConfigured,
        "spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'",
        'stall',
      );
    return interval ? parseDuration(interval) : DEFAULT_INTERVAL_MS;
  }

  private async announce(): Promise<void> {
    const observed = this.status.observedGeneration ?? -1;
    const generation = this.policy.metadata.generation ?? 0;
    const message =
      observed === generation
        ? 'reconciliation in progress'
        : `processing object: new generation ${observed} -> ${generation}`;
    this.status.conditions = markReconciling(this.status.conditions, { reason: Reason.Progressing, message }, this.ctx);
    if (observed !== generation) await this.ports.writeStatus(this.policy, this.status);
  }

  private async repository(): Promise<ImageRepository> {
    const ref = this.policy.spec.imageRepositoryRef;
    const ns = ref.namespace ?? this.namespace;
    const what = 'failed to get the referred ImageRepository';
    const repo = this.ports.repository(ns, ref.name);
    if (!repo)
      throw new PolicyFailure(
        ImageReason.DependencyNotReady,
        `${what}: referenced ImageRepository does not exist: imagerepositories.image.toolkit.fluxcd.io "${ref.name}" not found`,
        'retry',
      );
    if (ns !== this.namespace) {
      const labels = await this.ports.namespaceLabels(this.namespace, this.signal);
      const denied = accessDenial(
        { kind: 'ImagePolicy', namespace: this.namespace, name: this.policy.metadata.name ?? '' },
        { kind: 'ImageRepository', namespace: ns, name: ref.name },
        repo.spec.accessFrom,
        labels,
      );
      if (denied) throw new PolicyFailure(Reason.AccessDenied, `${what}: access denied: ${denied}`, 'retry');
    }
    try {
      imageRepositoryRef(repo.spec.image);
    } catch (err) {
      throw new PolicyFailure(ImageReason.ImageURLInvalid, (err as Error).message, 'stall', { cause: err });
    }
    return repo;
  }

  private async select(repo: ImageRepository): Promise<string> {
    let selector;
    try {
      selector = compileTagSelector(this.policy.spec.policy, this.policy.spec.filterTags);
    } catch (err) {
      throw new PolicyFailure('InvalidPolicy', (err as Error).message, 'stall', { cause: err });
    }
    const stored = await this.ports.readTags(repo);
    const canonical = canonicalImageName(imageRepositoryRef(repo.spec.image));
    const tags = stored?.canonicalImageName === canonical ? stored.tags : [];
    try {
      return selector.select(tags).tag;
    } catch (err) {
      if (!(err instanceof TagSelectionError)) throw err;
      // No tags yet: the repository's next scan requeues this policy (the watch in controller.ts).
      if (err.kind === 'no-tags') throw new PolicyFailure(ImageReason.DependencyNotReady, err.message, 'wait');
      throw new PolicyFailure(FAILURE, err.message, 'retry', { cause: err });
    }
  }

  /** `latestRef` for the chosen tag, fetching the digest when the reflection policy asks (Flux's `updateImageRefs`). */
  private async reference(repo: ImageRepository, tag: string): Promise<ImageRef> {
    const latest: ImageRef = { name: repo.spec.image, tag };
    const known = knownDigest(this.policy.spec.digestReflectionPolicy, this.status.latestRef, latest);
    if (known !== undefined) {
      if (known !== '') latest.digest = known;
    } else {
      try {
        latest.digest = await this.ports.digest(repo, tag, await this.access(repo), this.signal);
      } catch (err) {
        throw new PolicyFailure(
          FAILURE,
          `failed fetching digest of ${latest.name}:${tag}: ${errorChain(err)}`,
          'retry',
          {
            cause: err,
          },
        );
      }
    }
    return latest;
  }

  private async access(repo: ImageRepository): Promise<RegistryAccess> {
    const ns = repo.metadata.namespace ?? '';
    const read = async (name: string | undefined): Promise<Record<string, string> | undefined> =>
      name === undefined ? undefined : this.ports.secret(ns, name, this.signal);
    const secretName = repo.spec.secretRef?.name;
    const certSecretName = repo.spec.certSecretRef?.name;
    return {
      auth: await read(secretName),
      cert: await read(certSecretName),
      ...(secretName !== undefined && { secretName }),
      ...(certSecretName !== undefined && { certSecretName }),
    };
  }

  private async succeed(latest: ImageRef, intervalMs: number): Promise<ReconcileOutcome> {
    const changed = !sameRef(this.status.latestRef, latest);
    if (changed) {
      if (this.status.latestRef) this.status.observedPreviousRef = this.status.latestRef;
      this.status.latestRef = latest;
    }
    const message = composeReadyMessage(latest, this.status.observedPreviousRef);
    this.status.conditions = markTrue(
      this.status.conditions,
      { type: ConditionType.Ready, reason: Reason.Succeeded, message },
      this.ctx,
    );
    await this.write();
    if (changed) {
      this.ports.event(this.policy, {
        type: 'Normal',
        reason: Reason.Succeeded,
        message: `new image ${latest.tag} selected for ${this.policy.metadata.name ?? ''}: ${message}`,
        revision: `${latest.tag}${latest.digest ? `@${latest.digest}` : ''}`,
      });
    }
    return { requeueAfterMs: intervalMs };
  }

  private async fail(err: PolicyFailure): Promise<ReconcileOutcome> {
    const e = { reason: err.reason, message: err.message };
    if (err.mode === 'stall') this.status.conditions = markStalled(this.status.conditions, e, this.ctx);
    this.status.conditions = markFalse(this.status.conditions, { type: ConditionType.Ready, ...e }, this.ctx);
    try {
      await this.write();
    } catch (writeErr) {
      return { error: new Error(`${err.message}; and the status could not be written: ${errorChain(writeErr)}`) };
    }
    const previous = this.policy.status?.conditions?.find((c) => c.type === ConditionType.Ready);
    if (previous?.message !== err.message || previous.status !== 'False')
      this.ports.event(this.policy, { type: 'Warning', ...e });
    if (err.mode === 'retry') return { error: err };
    return { failure: err.message };
  }

  private async write(): Promise<void> {
    this.status = finalizeStatus<ImagePolicyStatus>(
      {
        generation: this.policy.metadata.generation ?? 0,
        annotations: this.policy.metadata.annotations,
        status: this.status,
      },
      this.ctx,
    );
    await this.ports.writeStatus(this.policy, this.status);
  }
}
