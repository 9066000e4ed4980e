import type { ConditionContext } from '../../flux/conditions.ts';
import { parseDuration } from '../../flux/duration.ts';
import {
  HELM_RELEASE_DEFAULT_MAX_HISTORY,
  type HelmRelease,
  HelmReleaseCondition,
  HelmReleaseReason,
  type HelmReleaseStatus,
  helmReleaseTimeoutMs,
  type HelmSnapshot,
} from '../../flux/helm.ts';
import type { ReleaseInfo } from '../../helm/index.ts';
import { errorChain } from '../../util/errors.ts';
import type { HelmAction } from './planner.ts';
import type { HelmReleaseEvent, LocalChart, ReleaseActions, ReleaseTargetOf } from './ports.ts';
import { commonMetadataDigest, postRendererFor, postRenderersDigest } from './post-render.ts';
import {
  dropCondition,
  failedMessage,
  markCondition,
  releasedMessage,
  rollbackMessage,
  testMessage,
  uninstallMessage,
  unlockMessage,
} from './release-conditions.ts';
import { recordSnapshot, snapshotOf, testHooksOf } from './release-snapshot.ts';
import type { Values } from './values.ts';

/**
 * One Helm action of a HelmRelease reconcile and its bookkeeping: the helper call with the spec's options, then the
 * history snapshot, failure counters, the condition it owns (Released, TestSuccess or Remediated) and its event,
 * exactly as helm-controller's `internal/reconcile` actions record them.
 */

export interface StepContext {
  hr: HelmRelease;
  status: HelmReleaseStatus;
  actions: ReleaseActions;
  target: ReleaseTargetOf;
  chart: LocalChart;
  values: Values;
  ociDigest?: string;
  ctx: ConditionContext;
  event(e: HelmReleaseEvent): void;
  signal: AbortSignal;
}

/** Whether the action succeeded; failures are recorded in the status, not thrown. */
export type StepResult = { ok: true } | { ok: false; message: string };

const named = (t: ReleaseTargetOf): { namespace: string; name: string } => ({
  namespace: t.namespace,
  name: t.releaseName,
});

const timeoutOf = (hr: HelmRelease, own: string | undefined): number =>
  own ? parseDuration(own) : helmReleaseTimeoutMs(hr.spec);

export async function runStep(step: StepContext, action: HelmAction): Promise<StepResult> {
  switch (action) {
    case 'install':
    case 'upgrade':
      return release(step, action);
    case 'test':
      return test(step);
    case 'rollback':
      return rollback(step);
    case 'uninstall':
      return uninstallRemediation(step);
    case 'unlock':
      return unlock(step);
  }
}

/** The boolean switches of an action's options, only when set (the helper's defaults are Helm's). */
function flags(pairs: Record<string, boolean | undefined>): Record<string, true> {
  return Object.fromEntries(Object.entries(pairs).filter(([, v]) => v === true)) as Record<string, true>;
}

function releaseOptions(step: StepContext, action: 'install' | 'upgrade'): Parameters<ReleaseActions['install']>[0] {
  const { hr, target, chart, values } = step;
  const install = hr.spec.install ?? {};
  const upgrade = hr.spec.upgrade ?? {};
  const opts = action === 'install' ? install : upgrade;
  return {
    ...target,
    chart: { path: chart.path },
    values,
    timeoutMs: timeoutOf(hr, opts.timeout),
    crds: action === 'install' ? installCrds(install) : (upgrade.crds ?? 'Skip'),
    maxHistory: hr.spec.maxHistory ?? HELM_RELEASE_DEFAULT_MAX_HISTORY,
    ...flags({
      disableWait: opts.disableWait,
      disableWaitForJobs: opts.disableWaitForJobs,
      disableHooks: opts.disableHooks,
      disableOpenAPIValidation: opts.disableOpenAPIValidation,
      skipSchemaValidation: opts.disableSchemaValidation,
      createNamespace: action === 'install' && install.createNamespace,
      force: action === 'upgrade' && upgrade.force,
      cleanupOnFail: action === 'upgrade' && upgrade.cleanupOnFail,
      reuseValues: action === 'upgrade' && upgrade.preserveValues,
    }),
  };
}

/** install.crds, with the deprecated skipCRDs honoured; Create by default. */
function installCrds(install: NonNullable<HelmRelease['spec']['install']>): 'Skip' | 'Create' | 'CreateReplace' {
  return install.crds ?? (install.skipCRDs ? 'Skip' : 'Create');
}

async function release(step: StepContext, action: 'install' | 'upgrade'): Promise<StepResult> {
  const { status, chart, target } = step;
  status.lastAttemptedReleaseAction = action;
  // A new attempt: the last test result and remediation were about the release before it.
  dropCondition(status, HelmReleaseCondition.TestSuccess);
  dropCondition(status, HelmReleaseCondition.Remediated);
  try {
    const opts = releaseOptions(step, action);
    const post = postRendererFor(step.hr);
    const rel =
      action === 'install'
        ? await step.actions.install(opts, step.signal, post)
        : await step.actions.upgrade(opts, step.signal, post);
    record(step, rel);
    recordObservedDigests(step);
    const message = releasedMessage(action, rel, chart);
    const reason = action === 'install' ? HelmReleaseReason.InstallSucceeded : HelmReleaseReason.UpgradeSucceeded;
    markCondition(status, { type: HelmReleaseCondition.Released, ok: true, reason, message }, step.ctx);
    step.event({ type: 'Normal', reason, message, revision: chart.version });
    return { ok: true };
  } catch (err) {
    if (step.signal.aborted) throw err;
    // A failed action may still have written a (failed) release: record it so remediation acts on what is there.
    const latest = await step.actions.latest(target).catch(() => undefined);
    if (latest && latest.version > (status.history?.[0]?.version ?? 0)) record(step, latest);
    const message = failedMessage(action, named(target), chart, errorChain(err));
    const reason = action === 'install' ? HelmReleaseReason.InstallFailed : HelmReleaseReason.UpgradeFailed;
    countFailure(status, action);
    markCondition(status, { type: HelmReleaseCondition.Released, ok: false, reason, message }, step.ctx);
    step.event({ type: 'Warning', reason, message, revision: chart.version });
    return { ok: false, message };
  }
}

/** What the release was made with besides chart and values, so a change of either alone upgrades it. */
function recordObservedDigests(step: StepContext): void {
  const { status } = step;
  const observed = postRenderersDigest(step.hr);
  if (observed) status.observedPostRenderersDigest = observed;
  else delete status.observedPostRenderersDigest;
  const common = commonMetadataDigest(step.hr);
  if (common) status.observedCommonMetadataDigest = common;
  else delete status.observedCommonMetadataDigest;
}

function countFailure(status: HelmReleaseStatus, action: 'install' | 'upgrade'): void {
  status.failures = (status.failures ?? 0) + 1;
  if (action === 'install') status.installFailures = (status.installFailures ?? 0) + 1;
  else status.upgradeFailures = (status.upgradeFailures ?? 0) + 1;
}

function record(step: StepContext, rel: ReleaseInfo): void {
  step.status.history = recordSnapshot(
    step.status.history,
    snapshotOf(rel, step.ociDigest ? { ociDigest: step.ociDigest } : {}),
  );
}

/** Flux's test filters as `helm test --filter` takes them. */
function testFilters(hr: HelmRelease): Record<string, string[]> | undefined {
  const filters = hr.spec.test?.filters ?? [];
  if (filters.length === 0) return undefined;
  const out: Record<string, string[]> = {};
  for (const f of filters) (out[f.exclude ? '!name' : 'name'] ??= []).push(f.name);
  return out;
}

async function test(step: StepContext): Promise<StepResult> {
  const { hr, status, chart, target } = step;
  const filters = testFilters(hr);
  try {
    const rel = await step.actions.test(
      { ...target, timeoutMs: timeoutOf(hr, hr.spec.test?.timeout), ...(filters ? { filters } : {}) },
      step.signal,
    );
    const hooks = testHooksOf(rel.hooks);
    setHeadTestHooks(status, hooks);
    const message = testMessage(rel, chart, Object.keys(hooks).length);
    const reason = HelmReleaseReason.TestSucceeded;
    markCondition(status, { type: HelmReleaseCondition.TestSuccess, ok: true, reason, message }, step.ctx);
    step.event({ type: 'Normal', reason, message, revision: chart.version });
    return { ok: true };
  } catch (err) {
    if (step.signal.aborted) throw err;
    return testFailed(step, err);
  }
}

async function testFailed(step: StepContext, err: unknown): Promise<StepResult> {
  const { hr, status, chart, target } = step;
  const latest = await step.actions.latest(target).catch(() => undefined);
  setHeadTestHooks(status, testHooksOf(latest?.hooks ?? []));
  const message = failedMessage('test', named(target), chart, errorChain(err));
  const reason = HelmReleaseReason.TestFailed;
  if (!hr.spec.test?.ignoreFailures) countFailure(status, status.lastAttemptedReleaseAction ?? 'install');
  markCondition(status, { type: HelmReleaseCondition.TestSuccess, ok: false, reason, message }, step.ctx);
  step.event({ type: 'Warning', reason, message, revision: chart.version });
  return { ok: false, message };
}

function setHeadTestHooks(status: HelmReleaseStatus, hooks: NonNullable<HelmSnapshot['testHooks']>): void {
  const [head, ...rest] = status.history ?? [];
  if (head) status.history = [{ ...head, testHooks: hooks }, ...rest];
}

async function rollback(step: StepContext): Promise<StepResult> {
  const { hr, status, chart, target } = step;
  const opts = hr.spec.rollback ?? {};
  try {
    const rel = await step.actions.rollback(
      {
        ...target,
        timeoutMs: timeoutOf(hr, opts.timeout),
        maxHistory: hr.spec.maxHistory ?? HELM_RELEASE_DEFAULT_MAX_HISTORY,
        ...(opts.disableWait ? { disableWait: true } : {}),
        ...(opts.disableHooks ? { disableHooks: true } : {}),
        ...(opts.force ? { force: true } : {}),
        ...(opts.cleanupOnFail ? { cleanupOnFail: true } : {}),
      },
      step.signal,
    );
    record(step, rel);
    const message = rollbackMessage(rel, { name: rel.chart.name, version: rel.chart.version });
    const reason = HelmReleaseReason.RollbackSucceeded;
    markCondition(status, { type: HelmReleaseCondition.Remediated, ok: true, reason, message }, step.ctx);
    step.event({ type: 'Normal', reason, message, revision: chart.version });
    return { ok: true };
  } catch (err) {
    if (step.signal.aborted) throw err;
    const message = failedMessage('rollback', named(target), chart, errorChain(err));
    const reason = HelmReleaseReason.RollbackFailed;
    markCondition(status, { type: HelmReleaseCondition.Remediated, ok: false, reason, message }, step.ctx);
    step.event({ type: 'Warning', reason, message, revision: chart.version });
    return { ok: false, message };
  }
}

/**
 * helm-controller's Unlock: the pending release is marked failed in Helm's storage and its snapshot updated;
 * Released=False with reason PendingRelease either way (a failure counts, as Flux counts it).
 */
async function unlock(step: StepContext): Promise<StepResult> {
  const { status, target } = step;
  try {
    const res = await step.actions.unlock(target, step.signal);
    if (!res.unlocked) return { ok: true };
    const rel = res.release;
    // As helm-controller's observeUnlock: the snapshot of that revision is updated (or made, for a first install).
    const history = status.history ?? [];
    if (history.length === 0 || history.some((s) => s.name === rel.name && s.version === rel.version))
      record(step, rel);
    const message = unlockMessage(rel, rel.chart, res.previous ?? 'pending');
    const reason = HelmReleaseReason.PendingRelease;
    markCondition(status, { type: HelmReleaseCondition.Released, ok: false, reason, message }, step.ctx);
    step.event({ type: 'Normal', reason, message, revision: rel.chart.version });
    return { ok: true };
  } catch (err) {
    if (step.signal.aborted) throw err;
    const message = unlockMessage(
      { ...named(target), version: status.history?.[0]?.version ?? 0 },
      step.chart,
      'pending',
      errorChain(err),
    );
    const reason = HelmReleaseReason.PendingRelease;
    status.failures = (status.failures ?? 0) + 1;
    markCondition(status, { type: HelmReleaseCondition.Released, ok: false, reason, message }, step.ctx);
    step.event({ type: 'Warning', reason, message, revision: step.chart.version });
    return { ok: false, message };
  }
}

/** Removes the release so the next attempt installs afresh (install remediation, or upgrade strategy uninstall). */
async function uninstallRemediation(step: StepContext): Promise<StepResult> {
  const { status, chart, target } = step;
  const head = status.history?.[0];
  try {
    await uninstallRelease(step.hr, step.actions, target, step.signal);
    if (head) status.history = [{ ...head, status: 'uninstalled' }, ...(status.history ?? []).slice(1)];
    const message = uninstallMessage({ ...named(target), version: head?.version ?? 0 }, chart);
    const reason = HelmReleaseReason.UninstallSucceeded;
    markCondition(status, { type: HelmReleaseCondition.Remediated, ok: true, reason, message }, step.ctx);
    step.event({ type: 'Normal', reason, message, revision: chart.version });
    return { ok: true };
  } catch (err) {
    if (step.signal.aborted) throw err;
    const message = failedMessage('uninstall', named(target), chart, errorChain(err));
    const reason = HelmReleaseReason.UninstallFailed;
    markCondition(status, { type: HelmReleaseCondition.Remediated, ok: false, reason, message }, step.ctx);
    step.event({ type: 'Warning', reason, message, revision: chart.version });
    return { ok: false, message };
  }
}

/** `helm uninstall` with the spec's uninstall options (also used by the finalizer). */
export function uninstallRelease(
  hr: HelmRelease,
  actions: ReleaseActions,
  target: ReleaseTargetOf,
  signal: AbortSignal,
): Promise<ReleaseInfo | undefined> {
  const opts = hr.spec.uninstall ?? {};
  return actions.uninstall(
    {
      ...target,
      timeoutMs: timeoutOf(hr, opts.timeout),
      ignoreNotFound: true,
      ...(opts.keepHistory ? { keepHistory: true } : {}),
      ...(opts.disableHooks ? { disableHooks: true } : {}),
      ...(opts.disableWait ? { disableWait: true } : {}),
      ...(opts.deletionPropagation ? { deletionPropagation: opts.deletionPropagation } : {}),
    },
    signal,
  );
}
