import type { ReconcileOutcome } from '../../engine/controller-manager.ts';
import {
  type ConditionContext,
  deleteCondition,
  finalizeStatus,
  isReady,
  markFalse,
  markReconciling,
  markStalled,
  markTrue,
  markUnknown,
} from '../../flux/conditions.ts';
import { parseDuration } from '../../flux/duration.ts';
import {
  DEFAULT_EXCLUSION_LIST,
  ImageReason,
  type ImageRepository,
  type ImageRepositoryStatus,
} from '../../flux/image.ts';
import { Annotation, ConditionType, Reason } from '../../flux/meta.ts';
import { errorChain } from '../../util/errors.ts';
import { withFinalizer } from '../finalizer-guard.ts';
import { compileGoRegexp } from '../imagepolicy/select-tag.ts';
import type { ImageRepositoryPorts } from './ports.ts';
import { canonicalImageName, imageRepositoryRef, ImageScanError, type RegistryAccess } from './scan.ts';

/**
 * The ImageRepository reconciler (image-reflector-controller's `imagerepository_controller.go`): scan the tags when
 * it is time (never scanned, requested, new image or exclusion list, no stored tags, interval elapsed), keep them in
 * the tag store, and record `lastScanResult`. A failed scan keeps the last stored tags and status; policies go on
 * choosing from them.
 */

/** How many of the newest tags status shows. */
const LATEST_TAGS = 10;

export function exclusionListOf(repo: ImageRepository): string[] {
  return repo.spec.exclusionList ?? [...DEFAULT_EXCLUSION_LIST];
}

/** Why a scan is due now, or undefined with the time left until the next one (Flux's `shouldScan`). */
export function scanDue(
  repo: ImageRepository,
  canonical: string,
  storedTags: number | undefined,
  now: Date,
): { reason?: string; nextMs: number } {
  const interval = parseDuration(repo.spec.interval);
  const status = repo.status ?? {};
  const last = status.lastScanResult;
  if (!last) return { reason: 'first scan', nextMs: interval };
  const requested = repo.metadata.annotations?.[Annotation.ReconcileRequestedAt];
  if (requested !== undefined && requested !== status.lastHandledReconcileAt)
    return { reason: 'reconcile requested', nextMs: interval };
  if (canonical !== status.canonicalImageName) return { reason: 'new image name', nextMs: interval };
  if (!sameContent(exclusionListOf(repo), status.observedExclusionList ?? []))
    return { reason: 'updated exclusion list', nextMs: interval };
  if (!storedTags) return { reason: 'no tags in database', nextMs: interval };
  const elapsed = now.getTime() - new Date(last.scanTime ?? 0).getTime();
  const left = interval - elapsed;
  if (left < 1000) return { reason: 'triggered by interval', nextMs: interval };
  return { nextMs: left };
}

const sameContent = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x) => b.includes(x));

/** Tags that match none of the exclusion patterns. */
export function filterOutTags(tags: readonly string[], patterns: readonly string[]): string[] {
  const compiled = patterns.map((p) => {
    try {
      return compileGoRegexp(p);
    } catch (err) {
      throw new ImageScanError(
        ImageReason.ReadOperationFailed,
        `failed to compile regex ${p}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  });
  return tags.filter((t) => !compiled.some((r) => r.test(t)));
}

export async function reconcileImageRepository(
  repo: ImageRepository,
  ports: ImageRepositoryPorts,
  signal: AbortSignal,
): Promise<ReconcileOutcome> {
  return withFinalizer(
    repo,
    ports,
    () => new ScanRun(repo, ports, signal).execute(),
    () => ports.removeTags(repo),
  );
}

class ScanRun {
  private status: ImageRepositoryStatus;
  private readonly wasReady: boolean;
  private readonly oldMessage: string | undefined;

  private readonly repo: ImageRepository;
  private readonly ports: ImageRepositoryPorts;
  private readonly signal: AbortSignal;

  constructor(repo: ImageRepository, ports: ImageRepositoryPorts, signal: AbortSignal) {
    this.repo = repo;
    this.ports = ports;
    this.signal = signal;
    this.status = { ...(repo.status ?? {}), conditions: [...(repo.status?.conditions ?? [])] };
    this.wasReady = isReady(repo.status?.conditions);
    this.oldMessage = repo.status?.conditions?.find((c) => c.type === ConditionType.Ready)?.message;
  }

  private get ctx(): ConditionContext {
    return { generation: this.repo.metadata.generation ?? 0, now: this.ports.now() };
  }

  async execute(): Promise<ReconcileOutcome> {
    let canonical: string;
    try {
      canonical = canonicalImageName(imageRepositoryRef(this.repo.spec.image));
    } catch (err) {
      return this.stall(err as ImageScanError);
    }
    try {
      const stored = await this.ports.readTags(this.repo);
      const sameImage = stored?.canonicalImageName === canonical;
      const due = scanDue(this.repo, canonical, sameImage ? stored.tags.length : undefined, this.ports.now());
      if (due.reason !== undefined) {
        await this.progress(`scanning: ${due.reason}`);
        await this.scan(canonical);
      }
      return await this.succeed(canonical, due.nextMs);
    } catch (err) {
      if (this.signal.aborted) return { error: err };
      return this.fail(err);
    }
  }

  private async progress(message: string): Promise<void> {
    this.status.conditions = markReconciling(this.status.conditions, { reason: Reason.Progressing, message }, this.ctx);
    this.status.conditions = markUnknown(
      this.status.conditions,
      { type: ConditionType.Ready, reason: Reason.Progressing, message: 'reconciliation in progress' },
      this.ctx,
    );
    await this.ports.writeStatus(this.repo, this.status);
  }

  /** Lists, filters and stores the tags. */
  private async scan(canonical: string): Promise<void> {
    const access = await this.access();
    const timeoutMs = parseDuration(this.repo.spec.timeout ?? this.repo.spec.interval);
    const signal = AbortSignal.any([this.signal, AbortSignal.timeout(Math.max(timeoutMs, 1000))]);
    const tags = filterOutTags(await this.ports.listTags(this.repo, access, signal), exclusionListOf(this.repo));
    const stored = await this.ports.writeTags(this.repo, canonical, tags);
    this.status.lastScanResult = {
      revision: stored.revision,
      tagCount: stored.tags.length,
      scanTime: this.ports
        .now()
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
      ...(stored.tags.length > 0 && { latestTags: stored.tags.slice(0, LATEST_TAGS) }),
    };
  }

  private async access(): Promise<RegistryAccess> {
    const ns = this.repo.metadata.namespace ?? '';
    const read = async (name: string | undefined): Promise<Record<string, string> | undefined> => {
      if (name === undefined) return undefined;
      const data = await this.ports.secret(ns, name, this.signal);
      if (!data)
        throw new ImageScanError(
          ImageReason.AuthenticationFailed,
          `failed to configure authentication options: secrets "${name}" not found`,
        );
      return data;
    };
    const secretName = this.repo.spec.secretRef?.name;
    const certSecretName = this.repo.spec.certSecretRef?.name;
    return {
      auth: await read(secretName),
      cert: await read(certSecretName),
      ...(secretName !== undefined && { secretName }),
      ...(certSecretName !== undefined && { certSecretName }),
    };
  }

  private async succeed(canonical: string, nextMs: number): Promise<ReconcileOutcome> {
    this.status.canonicalImageName = canonical;
    this.status.observedExclusionList = exclusionListOf(this.repo);
    this.status.conditions = deleteCondition(this.status.conditions, ConditionType.Stalled);
    const message = `successful scan: found ${this.status.lastScanResult?.tagCount ?? 0} tags`;
    this.status.conditions = markTrue(
      this.status.conditions,
      { type: ConditionType.Ready, reason: Reason.Succeeded, message },
      this.ctx,
    );
    await this.write();
    if (!this.wasReady || this.oldMessage !== message) {
      this.ports.event(this.repo, {
        type: 'Normal',
        reason: Reason.Succeeded,
        message,
        ...(this.status.lastScanResult?.revision && { revision: this.status.lastScanResult.revision }),
      });
    }
    return { requeueAfterMs: nextMs };
  }

  private async stall(err: ImageScanError): Promise<ReconcileOutcome> {
    this.status.conditions = markStalled(
      this.status.conditions,
      { reason: err.reason, message: err.message },
      this.ctx,
    );
    this.status.conditions = markFalse(
      this.status.conditions,
      { type: ConditionType.Ready, reason: err.reason, message: err.message },
      this.ctx,
    );
    await this.write();
    this.ports.event(this.repo, { type: 'Warning', reason: err.reason, message: err.message });
    return { failure: err.message };
  }

  private async fail(err: unknown): Promise<ReconcileOutcome> {
    const reason = err instanceof ImageScanError ? err.reason : ImageReason.ReadOperationFailed;
    const message = errorChain(err);
    this.status.conditions = markFalse(
      this.status.conditions,
      { type: ConditionType.Ready, reason, message },
      this.ctx,
    );
    if (!this.status.conditions.some((c) => c.type === ConditionType.Reconciling))
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
    this.ports.event(this.repo, { type: 'Warning', reason, message });
    // Retried with the queue's exponential backoff, as controller-runtime does for a returned error.
    return { error: err };
  }

  private async write(): Promise<void> {
    this.status = finalizeStatus<ImageRepositoryStatus>(
      {
        generation: this.repo.metadata.generation ?? 0,
        annotations: this.repo.metadata.annotations,
        status: this.status,
      },
      this.ctx,
    );
    await this.ports.writeStatus(this.repo, this.status);
  }
}
