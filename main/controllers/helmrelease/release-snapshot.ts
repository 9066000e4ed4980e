import { createHash } from 'node:crypto';

import type { HelmSnapshot } from '../../flux/helm.ts';
import type { HookInfo, ReleaseInfo } from '../../helm/index.ts';
import type { StoredRelease } from './planner.ts';
import { digestValues } from './values.ts';

/**
 * `status.history` snapshots made from Helm releases, as helm-controller records them (`release.ObservedToSnapshot`).
 *
 * The release `digest` is helm-controller's idea (a digest of the stored release, to notice releases changed behind
 * its back), but helm-controller hashes Go's JSON encoding of the whole release object, which the helper does not
 * return. Ours hashes what identifies a release revision (name, namespace, version, status, chart, values digest), so
 * it catches the same things (`helm upgrade`/`rollback` by hand, a release marked failed) and is stable across reads.
 */

/** `metav1.Time` text: UTC, whole seconds. */
function metaTime(t: string | undefined): string {
  const d = t ? new Date(t) : new Date(0);
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function releaseDigest(rel: ReleaseInfo): string {
  const identity = {
    name: rel.name,
    namespace: rel.namespace,
    version: rel.version,
    status: rel.status,
    chart: { name: rel.chart.name, version: rel.chart.version, appVersion: rel.chart.appVersion ?? '' },
    config: digestValues(rel.config ?? {}),
  };
  return `sha256:${createHash('sha256').update(JSON.stringify(identity)).digest('hex')}`;
}

export function storedRelease(rel: ReleaseInfo): StoredRelease {
  return {
    name: rel.name,
    namespace: rel.namespace,
    version: rel.version,
    status: rel.status,
    chartName: rel.chart.name,
    chartVersion: rel.chart.version,
    configDigest: digestValues(rel.config ?? {}),
    digest: releaseDigest(rel),
  };
}

export function snapshotOf(rel: ReleaseInfo, extra: { ociDigest?: string } = {}): HelmSnapshot {
  return {
    name: rel.name,
    namespace: rel.namespace,
    version: rel.version,
    status: rel.status,
    chartName: rel.chart.name,
    chartVersion: rel.chart.version,
    ...(rel.chart.appVersion ? { appVersion: rel.chart.appVersion } : {}),
    configDigest: digestValues(rel.config ?? {}),
    digest: releaseDigest(rel),
    firstDeployed: metaTime(rel.firstDeployed),
    lastDeployed: metaTime(rel.lastDeployed),
    ...(rel.deleted ? { deleted: metaTime(rel.deleted) } : {}),
    ...(extra.ociDigest ? { ociDigest: extra.ociDigest } : {}),
  };
}

/** The test hooks' last runs (`testHooks`), `{}` when the chart has none: "tested" is `testHooks` being present. */
export function testHooksOf(hooks: HookInfo[]): NonNullable<HelmSnapshot['testHooks']> {
  const out: NonNullable<HelmSnapshot['testHooks']> = {};
  for (const h of hooks) {
    if (!h.events.includes('test') && !h.events.includes('test-success')) continue;
    out[h.name] = {
      ...(h.lastRun?.startedAt ? { lastStarted: metaTime(h.lastRun.startedAt) } : {}),
      ...(h.lastRun?.completedAt ? { lastCompleted: metaTime(h.lastRun.completedAt) } : {}),
      ...(h.lastRun?.phase ? { phase: h.lastRun.phase } : {}),
    };
  }
  return out;
}

/**
 * Puts a new snapshot at the head of the history (or replaces the head when it is the same revision), marks older
 * `deployed` entries superseded, and keeps entries only back to the previous successful release, as
 * helm-controller's `History.Truncate` does.
 */
export function recordSnapshot(history: HelmSnapshot[] | undefined, snap: HelmSnapshot): HelmSnapshot[] {
  const rest = (history ?? []).filter((s) => !(s.name === snap.name && s.version === snap.version));
  const older = rest.map((s) =>
    snap.status === 'deployed' && s.status === 'deployed' ? { ...s, status: 'superseded' } : s,
  );
  const out = [snap];
  for (const s of older) {
    out.push(s);
    if (s.status === 'deployed' || s.status === 'superseded') break;
  }
  return out;
}
