import { describe, expect, it } from 'vitest';

import {
  type PlanInput,
  planRelease,
  shouldResetFailures,
  type StoredRelease,
} from '../../../../main/controllers/helmrelease/planner.ts';
import { recordSnapshot } from '../../../../main/controllers/helmrelease/release-snapshot.ts';
import type { HelmRelease, HelmSnapshot } from '../../../../main/flux/helm.ts';

const chart = { name: 'app', version: '1.0.0' };
const digest = 'sha256:values';

function snap(version: number, status: string, extra: Partial<HelmSnapshot> = {}): HelmSnapshot {
  return {
    name: 'web',
    namespace: 'apps',
    version,
    status,
    chartName: 'app',
    chartVersion: '1.0.0',
    configDigest: digest,
    digest: `sha256:rel${version}`,
    firstDeployed: '2026-01-01T00:00:00Z',
    lastDeployed: '2026-01-01T00:00:00Z',
    ...extra,
  };
}

function stored(version: number, status: StoredRelease['status'], extra: Partial<StoredRelease> = {}): StoredRelease {
  return {
    name: 'web',
    namespace: 'apps',
    version,
    status,
    chartName: 'app',
    chartVersion: '1.0.0',
    configDigest: digest,
    digest: `sha256:rel${version}`,
    ...extra,
  };
}

function input(
  spec: Partial<HelmRelease['spec']>,
  status: HelmRelease['status'],
  release: StoredRelease | undefined,
  forced = false,
): PlanInput {
  return { hr: { spec: { interval: '5m', ...spec }, status }, chart, configDigest: digest, release, forced };
}

const plan = (i: PlanInput): [string, string] => {
  const p = planRelease(i);
  return [p.action, p.state.status];
};

describe('planRelease', () => {
  it('installs when nothing is in storage, and does nothing when the release is in sync', () => {
    expect(plan(input({}, {}, undefined))).toEqual(['install', 'Absent']);
    expect(plan(input({}, { history: [snap(1, 'deployed')] }, stored(1, 'deployed')))).toEqual(['none', 'InSync']);
  });

  it('upgrades when the chart or the values digest changed, or when forced, or to adopt a release', () => {
    const history = { history: [snap(1, 'deployed')] };
    expect(plan(input({}, history, stored(1, 'deployed', { configDigest: 'sha256:old' })))).toEqual([
      'upgrade',
      'OutOfSync',
    ]);
    expect(plan(input({}, history, stored(1, 'deployed', { chartVersion: '0.9.0' })))).toEqual([
      'upgrade',
      'OutOfSync',
    ]);
    expect(plan(input({}, history, stored(1, 'deployed'), true))).toEqual(['upgrade', 'InSync']);
    expect(plan(input({}, {}, stored(3, 'deployed')))).toEqual(['upgrade', 'Unmanaged']);
    // A revision made behind our back (helm upgrade by hand) is not the one we recorded.
    expect(plan(input({}, history, stored(2, 'deployed')))).toEqual(['upgrade', 'Unmanaged']);
  });

  it('runs tests once when enabled, and remediates a failed test unless failures are ignored', () => {
    const spec = { test: { enable: true } };
    expect(plan(input(spec, { history: [snap(1, 'deployed')] }, stored(1, 'deployed')))).toEqual(['test', 'Untested']);
    const tested = { history: [snap(1, 'deployed', { testHooks: {} })] };
    expect(plan(input(spec, tested, stored(1, 'deployed')))).toEqual(['none', 'InSync']);
    const failed = {
      history: [snap(1, 'deployed', { testHooks: { smoke: { phase: 'Failed' } } })],
      installFailures: 1,
      lastAttemptedReleaseAction: 'install' as const,
    };
    expect(plan(input({ ...spec, install: { remediation: { retries: 2 } } }, failed, stored(1, 'deployed')))).toEqual([
      'uninstall',
      'Failed',
    ]);
    expect(plan(input({ test: { enable: true, ignoreFailures: true } }, failed, stored(1, 'deployed')))).toEqual([
      'none',
      'InSync',
    ]);
  });

  it('remediates a failed install by uninstalling while retries remain, then stalls', () => {
    const failed = { history: [snap(1, 'failed')], installFailures: 1, lastAttemptedReleaseAction: 'install' as const };
    const retries = { install: { remediation: { retries: 1 } } };
    expect(plan(input(retries, failed, stored(1, 'failed')))).toEqual(['uninstall', 'Failed']);
    const p = planRelease(input({}, failed, stored(1, 'failed')));
    expect(p).toMatchObject({ action: 'stalled', message: 'Failed to install after 1 attempt(s)' });
    // Absent after remediation, retries used up: no new install.
    const used = { ...failed, installFailures: 2 };
    expect(planRelease(input(retries, used, undefined))).toMatchObject({
      action: 'stalled',
      message: 'Failed to install after 2 attempt(s)',
    });
  });

  it('rolls a failed upgrade back, or uninstalls it with strategy uninstall, and remediates the last failure', () => {
    const history = [snap(2, 'failed'), snap(1, 'superseded')];
    const status = { history, upgradeFailures: 1, lastAttemptedReleaseAction: 'upgrade' as const };
    const rollback = { upgrade: { remediation: { retries: 2 } } };
    expect(plan(input(rollback, status, stored(2, 'failed')))).toEqual(['rollback', 'Failed']);
    const uninstall = { upgrade: { remediation: { retries: 2, strategy: 'uninstall' as const } } };
    expect(plan(input(uninstall, status, stored(2, 'failed')))).toEqual(['uninstall', 'Failed']);
    // Retries used up: remediateLastFailure defaults to true when retries are set, false otherwise.
    const last = { ...status, upgradeFailures: 3 };
    expect(plan(input(rollback, last, stored(2, 'failed')))).toEqual(['rollback', 'Failed']);
    expect(plan(input({}, { ...status, upgradeFailures: 1 }, stored(2, 'failed')))).toEqual(['stalled', 'Failed']);
  });

  it('upgrades a release that failed outside its control, and unlocks a pending one', () => {
    expect(plan(input({}, { history: [snap(1, 'failed')] }, stored(1, 'failed')))).toEqual(['upgrade', 'Failed']);
    expect(plan(input({}, { history: [snap(2, 'deployed')] }, stored(2, 'pending-upgrade')))).toEqual([
      'unlock',
      'Locked',
    ]);
    expect(plan(input({}, {}, stored(1, 'pending-install')))).toEqual(['unlock', 'Locked']);
    // Unlocking is not a remediation: the reconcile goes on to upgrade or remediate the now failed release.
    expect(planRelease(input({}, {}, stored(1, 'pending-rollback')))).toMatchObject({ remediation: false });
  });

  it('upgrades when spec.commonMetadata changed since the last release', () => {
    const history = { history: [snap(1, 'deployed')] };
    const changed = { ...input({}, history, stored(1, 'deployed')), commonMetadataDigest: 'sha256:new' };
    expect(plan(changed)).toEqual(['upgrade', 'OutOfSync']);
    const same = { ...input({}, { ...history, observedCommonMetadataDigest: 'sha256:new' }, stored(1, 'deployed')) };
    expect(plan({ ...same, commonMetadataDigest: 'sha256:new' })).toEqual(['none', 'InSync']);
  });
});

describe('failure counters', () => {
  const hr = (generation: number): Pick<HelmRelease, 'metadata' | 'status'> => ({
    metadata: { name: 'web', generation },
    status: { lastAttemptedGeneration: 1, lastAttemptedRevision: '1.0.0', lastAttemptedConfigDigest: digest },
  });
  it('reset on a new generation, chart version or values, or when asked', () => {
    expect(shouldResetFailures(hr(1), chart, digest, false)).toBe(false);
    expect(shouldResetFailures(hr(2), chart, digest, false)).toBe(true);
    expect(shouldResetFailures(hr(1), { ...chart, version: '1.1.0' }, digest, false)).toBe(true);
    expect(shouldResetFailures(hr(1), chart, 'sha256:new', false)).toBe(true);
    expect(shouldResetFailures(hr(1), chart, digest, true)).toBe(true);
  });
});

describe('history', () => {
  it('keeps the newest first, back to the previous successful release, marking it superseded', () => {
    let h = recordSnapshot(undefined, snap(1, 'deployed'));
    h = recordSnapshot(h, snap(2, 'deployed'));
    expect(h.map((s) => [s.version, s.status])).toEqual([
      [2, 'deployed'],
      [1, 'superseded'],
    ]);
    h = recordSnapshot(h, snap(3, 'failed'));
    h = recordSnapshot(h, snap(4, 'deployed'));
    expect(h.map((s) => [s.version, s.status])).toEqual([
      [4, 'deployed'],
      [3, 'failed'],
      [2, 'superseded'],
    ]);
  });
});
