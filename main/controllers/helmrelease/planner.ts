import { isTrue } from '../../flux/conditions.ts';
import type { HelmRelease, HelmSnapshot } from '../../flux/helm.ts';
import { HelmReleaseCondition } from '../../flux/helm.ts';
import type { ReleaseStatus } from '../../helm/index.ts';

/**
 * The pure core of the HelmRelease reconciler: what the release is, compared with what the HelmRelease asks for
 * (helm-controller's `DetermineReleaseState`, flux-behaviour.md §4.2), and the one Helm action that moves it on
 * (`AtomicRelease.actionForState`), with remediation as Flux does it. No I/O: the reconciler gathers the inputs.
 */

export type ReleaseStateStatus =
  'Absent' | 'Locked' | 'Unmanaged' | 'Failed' | 'OutOfSync' | 'Untested' | 'InSync' | 'Unknown';

export interface ReleaseState {
  status: ReleaseStateStatus;
  reason: string;
}

/** What the helper says about the latest release in storage, with the digest we compute for it. */
export interface StoredRelease {
  name: string;
  namespace: string;
  version: number;
  status: ReleaseStatus;
  chartName: string;
  chartVersion: string;
  configDigest: string;
  digest: string;
}

export interface DesiredChart {
  name: string;
  version: string;
}

export interface PlanInput {
  hr: Pick<HelmRelease, 'spec' | 'status'>;
  chart: DesiredChart;
  configDigest: string;
  /** Of spec.postRenderers; undefined when there are none. */
  postRenderersDigest?: string;
  /** Of spec.commonMetadata; undefined when it is not set. */
  commonMetadataDigest?: string;
  release: StoredRelease | undefined;
  /** `reconcile.fluxcd.io/forceAt` asks for an upgrade (or install) once. */
  forced: boolean;
}

export type HelmAction = 'install' | 'upgrade' | 'test' | 'rollback' | 'uninstall' | 'unlock';

export type Plan =
  | { action: 'none'; state: ReleaseState }
  | { action: HelmAction; state: ReleaseState; remediation: boolean }
  | { action: 'stalled'; state: ReleaseState; message: string };

const PENDING = new Set<ReleaseStatus>(['pending-install', 'pending-upgrade', 'pending-rollback', 'uninstalling']);

export function latestSnapshot(hr: Pick<HelmRelease, 'status'>): HelmSnapshot | undefined {
  return hr.status?.history?.[0];
}

export function determineReleaseState(input: Omit<PlanInput, 'forced'>): ReleaseState {
  const { hr, release } = input;
  if (!release) return { status: 'Absent', reason: 'no release in storage for object' };
  if (PENDING.has(release.status)) return { status: 'Locked', reason: `release with status '${release.status}'` };
  const cur = latestSnapshot(hr);
  if (!cur) {
    if (release.status === 'uninstalled') return { status: 'Absent', reason: 'found uninstalled release in storage' };
    return { status: 'Unmanaged', reason: 'found existing release in storage' };
  }
  if (cur.name !== release.name || cur.namespace !== release.namespace || cur.version !== release.version) {
    return { status: 'Unmanaged', reason: 'release not observed to be made for object' };
  }
  if (cur.digest !== release.digest) return { status: 'Unmanaged', reason: 'release digest verification error' };
  if (release.status === 'failed') return { status: 'Failed', reason: 'release is in a failed state' };
  if (release.status === 'uninstalled') return { status: 'Absent', reason: 'found uninstalled release in storage' };
  if (release.status !== 'deployed')
    return { status: 'Unknown', reason: `unable to determine state for release with status '${release.status}'` };
  return deployedState(input, cur);
}

function deployedState(input: Omit<PlanInput, 'forced'>, cur: HelmSnapshot): ReleaseState {
  const { release, chart, configDigest } = input;
  if (release && (release.chartName !== chart.name || release.chartVersion !== chart.version)) {
    return { status: 'OutOfSync', reason: 'release chart changed' };
  }
  if (release && release.configDigest !== configDigest) {
    return { status: 'OutOfSync', reason: 'release config digest verification error' };
  }
  if (input.postRenderersDigest !== input.hr.status?.observedPostRenderersDigest) {
    return { status: 'OutOfSync', reason: 'post-renderers changed' };
  }
  if (input.commonMetadataDigest !== input.hr.status?.observedCommonMetadataDigest) {
    return { status: 'OutOfSync', reason: 'common metadata changed' };
  }
  return testState(input.hr, cur) ?? { status: 'InSync', reason: 'release in sync with object' };
}

/** With tests enabled: untested, or a failed test that counts. */
function testState(hr: Pick<HelmRelease, 'spec' | 'status'>, cur: HelmSnapshot): ReleaseState | undefined {
  const test = hr.spec.test;
  if (!test?.enable) return undefined;
  if (cur.testHooks === undefined) return { status: 'Untested', reason: 'release has not been tested' };
  const ignore = activeRemediation(hr).ignoreTestFailures ?? test.ignoreFailures ?? false;
  if (!ignore && Object.values(cur.testHooks).some((h) => h.phase === 'Failed')) {
    return { status: 'Failed', reason: 'release has test in failed phase' };
  }
  return undefined;
}

export interface ActiveRemediation {
  action: 'install' | 'upgrade';
  retries: number;
  failures: number;
  strategy: 'rollback' | 'uninstall';
  remediateLastFailure: boolean;
  ignoreTestFailures?: boolean;
}

/** The remediation settings of the last release action attempted (install unless it was an upgrade). */
export function activeRemediation(hr: Pick<HelmRelease, 'spec' | 'status'>): ActiveRemediation {
  return hr.status?.lastAttemptedReleaseAction === 'upgrade' ? upgradeRemediation(hr) : installRemediation(hr);
}

function upgradeRemediation(hr: Pick<HelmRelease, 'spec' | 'status'>): ActiveRemediation {
  const r = hr.spec.upgrade?.remediation ?? {};
  const retries = r.retries ?? 0;
  return {
    action: 'upgrade',
    retries,
    failures: hr.status?.upgradeFailures ?? 0,
    strategy: r.strategy ?? 'rollback',
    // Flux: remediateLastFailure defaults to true when retries are set.
    remediateLastFailure: r.remediateLastFailure ?? retries !== 0,
    ...(r.ignoreTestFailures !== undefined ? { ignoreTestFailures: r.ignoreTestFailures } : {}),
  };
}

function installRemediation(hr: Pick<HelmRelease, 'spec' | 'status'>): ActiveRemediation {
  const r = hr.spec.install?.remediation ?? {};
  return {
    action: 'install',
    retries: r.retries ?? 0,
    failures: hr.status?.installFailures ?? 0,
    strategy: 'uninstall',
    remediateLastFailure: r.remediateLastFailure ?? false,
    ...(r.ignoreTestFailures !== undefined ? { ignoreTestFailures: r.ignoreTestFailures } : {}),
  };
}

/** Negative retries retry forever. */
function retriesExhausted(r: { retries: number; failures: number }): boolean {
  return r.retries >= 0 && r.failures > r.retries;
}

export function exhaustedMessage(hr: Pick<HelmRelease, 'spec' | 'status'>): string {
  const r = activeRemediation(hr);
  return `Failed to ${r.action} after ${r.failures} attempt(s)`;
}

/** The next action for a release state (`actionForState`), or why nothing more will be tried. */
export function planRelease(input: PlanInput): Plan {
  const state = determineReleaseState(input);
  const { hr } = input;
  const remediation = activeRemediation(hr);
  const exhausted = retriesExhausted(remediation);
  const release = (action: 'install' | 'upgrade'): Plan =>
    exhausted && !input.forced
      ? { action: 'stalled', state, message: exhaustedMessage(hr) }
      : { action, state, remediation: false };
  switch (state.status) {
    case 'InSync':
      return input.forced ? { action: 'upgrade', state, remediation: false } : { action: 'none', state };
    case 'Absent':
      return release('install');
    case 'Unmanaged':
    case 'OutOfSync':
      return release('upgrade');
    case 'Untested':
      return { action: 'test', state, remediation: false };
    case 'Locked':
      // Helm leaves a release pending when the process acting on it died; as helm-controller, mark it failed and
      // go on in the same reconcile: the next plan sees a failed release and upgrades or remediates it.
      return { action: 'unlock', state, remediation: false };
    case 'Failed':
      return planFailed(input, state, exhausted);
    default:
      return { action: 'stalled', state, message: state.reason };
  }
}

function planFailed(input: PlanInput, state: ReleaseState, exhausted: boolean): Plan {
  const { hr } = input;
  const remediation = activeRemediation(hr);
  // A release that failed without us counting it (e.g. `helm upgrade` by hand): upgrade it back into shape.
  if (remediation.failures <= 0) return { action: 'upgrade', state, remediation: false };
  if (exhausted) {
    const remediated = isTrue(hr.status?.conditions, HelmReleaseCondition.Remediated);
    if (!remediation.remediateLastFailure || remediated) {
      return { action: 'stalled', state, message: exhaustedMessage(hr) };
    }
  }
  if (remediation.strategy === 'rollback' && previousDeployed(hr) !== undefined) {
    return { action: 'rollback', state, remediation: true };
  }
  return { action: 'uninstall', state, remediation: true };
}

/** The snapshot a rollback returns to: the newest earlier release that was deployed. */
export function previousDeployed(hr: Pick<HelmRelease, 'status'>): HelmSnapshot | undefined {
  return (hr.status?.history ?? []).slice(1).find((s) => s.status === 'deployed' || s.status === 'superseded');
}

/**
 * Whether the failure counters start again (helm-controller resets them when what it is asked to release changes):
 * a new generation, chart version or values, or a `reconcile.fluxcd.io/resetAt` request.
 */
export function shouldResetFailures(
  hr: Pick<HelmRelease, 'metadata' | 'status'>,
  chart: DesiredChart,
  configDigest: string,
  resetRequested: boolean,
): boolean {
  const s = hr.status;
  if (!s) return false;
  if (resetRequested) return true;
  if (s.lastAttemptedGeneration === undefined) return false;
  return (
    s.lastAttemptedGeneration !== hr.metadata.generation ||
    s.lastAttemptedRevision !== chart.version ||
    s.lastAttemptedConfigDigest !== configDigest
  );
}
