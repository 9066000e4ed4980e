import {
  type ConditionContext,
  deleteCondition,
  getCondition,
  markFalse,
  markTrue,
  setCondition,
} from '../../flux/conditions.ts';
import { type HelmRelease, HelmReleaseCondition, type HelmReleaseStatus } from '../../flux/helm.ts';
import { ConditionType } from '../../flux/meta.ts';

/**
 * helm-controller's condition messages and its Ready summary (`internal/reconcile/summarize.go`): Ready follows
 * Remediated when a remediation happened (a remediated release is not ready), else a failed test that is not
 * ignored, else Released.
 */

export type ChartId = { name: string; version: string };

const chartText = (c: ChartId): string => `${c.name}@${c.version}`;

export function releasedMessage(
  action: 'install' | 'upgrade',
  rel: { namespace: string; name: string; version: number },
  chart: ChartId,
): string {
  return `Helm ${action} succeeded for release ${rel.namespace}/${rel.name}.v${rel.version} with chart ${chartText(chart)}`;
}

export function failedMessage(
  action: 'install' | 'upgrade' | 'test' | 'rollback' | 'uninstall',
  rel: { namespace: string; name: string },
  chart: ChartId,
  error: string,
): string {
  return `Helm ${action} failed for release ${rel.namespace}/${rel.name} with chart ${chartText(chart)}: ${error}`;
}

export function testMessage(
  rel: { namespace: string; name: string; version: number },
  chart: ChartId,
  hooks: number,
): string {
  const what = hooks === 0 ? 'no test hooks' : `${hooks} test hook${hooks === 1 ? '' : 's'} completed successfully`;
  return `Helm test succeeded for release ${rel.namespace}/${rel.name}.v${rel.version} with chart ${chartText(chart)}: ${what}`;
}

export function rollbackMessage(rel: { namespace: string; name: string; version: number }, chart: ChartId): string {
  return `Helm rollback to previous release ${rel.namespace}/${rel.name}.v${rel.version} with chart ${chartText(chart)} succeeded`;
}

export function uninstallMessage(rel: { namespace: string; name: string; version: number }, chart: ChartId): string {
  return `Helm uninstall succeeded for release ${rel.namespace}/${rel.name}.v${rel.version} with chart ${chartText(chart)}`;
}

/** helm-controller's `fmtUnlockSuccess` / `fmtUnlockFailure`. */
export function unlockMessage(
  rel: { namespace: string; name: string; version: number },
  chart: ChartId,
  state: string,
  error?: string,
): string {
  const what = `Helm release ${rel.namespace}/${rel.name}.v${rel.version} with chart ${chartText(chart)} in ${state} state`;
  return error === undefined ? `Unlocked ${what}` : `Unlock of ${what} failed: ${error}`;
}

export function markCondition(
  status: HelmReleaseStatus,
  c: { type: string; ok: boolean; reason: string; message: string },
  ctx: ConditionContext,
): void {
  const input = { type: c.type, reason: c.reason, message: c.message };
  status.conditions = c.ok ? markTrue(status.conditions, input, ctx) : markFalse(status.conditions, input, ctx);
}

export function dropCondition(status: HelmReleaseStatus, type: string): void {
  status.conditions = deleteCondition(status.conditions, type);
}

/** Sets Ready from Remediated, TestSuccess and Released. */
export function summarizeReady(hr: Pick<HelmRelease, 'spec'>, status: HelmReleaseStatus, ctx: ConditionContext): void {
  const source = readySource(hr, status);
  if (!source) return;
  status.conditions = setCondition(
    status.conditions,
    {
      type: ConditionType.Ready,
      status: source.ready ? 'True' : 'False',
      reason: source.reason,
      message: source.message,
    },
    ctx,
  );
}

function readySource(
  hr: Pick<HelmRelease, 'spec'>,
  status: HelmReleaseStatus,
): { ready: boolean; reason: string; message: string } | undefined {
  const remediated = getCondition(status.conditions, HelmReleaseCondition.Remediated);
  if (remediated?.status === 'True') return { ...remediated, ready: false };
  const released = getCondition(status.conditions, HelmReleaseCondition.Released);
  if (!released) return undefined;
  const test = getCondition(status.conditions, HelmReleaseCondition.TestSuccess);
  const testCounts = hr.spec.test?.enable === true && hr.spec.test.ignoreFailures !== true;
  if (released.status === 'True' && testCounts && test) return { ...test, ready: test.status === 'True' };
  return { ...released, ready: released.status === 'True' };
}
