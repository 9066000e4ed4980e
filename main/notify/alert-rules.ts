import type { ManagerEvents } from '../engine/controller-manager.ts';
import type { FluxEvent } from '../flux/events.ts';
import type { AuthHealth } from '../kube/auth-health.ts';
import type { ChangeSetEntry } from '../kube/change-set.ts';
import { ownersOf } from '../kube/managed-fields.ts';
import type { KubeObject } from '../util/kube-object.ts';
import type { AlertInput, AlertObject, DriftedObject } from './inbox-types.ts';

/**
 * The built-in rules, as pure functions from what the engine reports (Flux events, reconcile results, watched
 * objects, auth health) to alerts. The feed (inbox-feed.ts) calls them and hands the result to the store.
 */

/** A controller's event as the engine bus carries it. */
export type { FluxEvent };

/** The fields of the work queue's `reconcile.finished` the rules read. */
export type ReconcileFinished = Pick<
  ManagerEvents['reconcile.finished'],
  'cluster' | 'kind' | 'namespace' | 'name' | 'error'
>;

export interface RuleSettings {
  /** Raise "suspended" when an object has been suspended longer than this (default 24 h). */
  suspendedForMs: number;
  /** Raise "source stale" when a source has not fetched successfully for this long (default 30 min). */
  sourceStaleForMs: number;
}

/** When the time-based rules run (ms since the epoch) and with which settings. */
export interface RuleTime {
  now: number;
  settings: RuleSettings;
}

export const DEFAULT_RULE_SETTINGS: RuleSettings = {
  suspendedForMs: 24 * 60 * 60_000,
  sourceStaleForMs: 30 * 60_000,
};

/** Warning reasons that mean "waiting for something else", not "broken": a warning, not an error. */
const WAITING_REASONS = new Set(['DependencyNotReady']);

/** Fields listed per object in a drift message; the item's `drift` has them all. */
const FIELDS_IN_MESSAGE = 3;

const objectOf = (o: { apiVersion?: string; kind: string; namespace?: string; name?: string }): AlertObject => ({
  ...(o.apiVersion ? { apiVersion: o.apiVersion } : {}),
  kind: o.kind,
  namespace: o.namespace ?? '',
  name: o.name ?? '',
});

const describeObject = (o: AlertObject): string => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;

/**
 * Every Warning event is an alert (reconcile failed, or a warning when it only waits); a corrected drift is one too,
 * and so is an image update (info).
 */
export function alertsFromFluxEvent(e: FluxEvent): AlertInput[] {
  const base = {
    cluster: e.cluster,
    object: objectOf(e.object),
    source: e.controller,
    ...(e.revision ? { revision: e.revision } : {}),
    ...(Number.isNaN(Date.parse(e.timestamp)) ? {} : { at: Date.parse(e.timestamp) }),
  };
  const alerts: AlertInput[] = [];
  if (e.type === 'Warning') {
    const waiting = WAITING_REASONS.has(e.reason);
    alerts.push({
      ...base,
      rule: waiting ? 'warning' : 'reconcile-failed',
      severity: awaitingFirstScan(e) ? 'info' : waiting ? 'warning' : 'error',
      reason: e.reason,
      message: e.message,
    });
  }
  const update = imageUpdateAlert(e);
  if (update) alerts.push({ ...base, ...update });
  const drifted = e.drifted ?? [];
  if (drifted.length > 0) {
    alerts.push({
      ...base,
      rule: 'drift-corrected',
      severity: 'warning',
      reason: 'DriftCorrected',
      message: driftMessage(drifted, e.revision),
      drift: drifted.map(toDrifted),
      groupBy: driftSignature(drifted),
    });
  }
  return alerts;
}

/**
 * An ImagePolicy whose ImageRepository has not been scanned yet: image-reflector-controller marks it Ready=False
 * DependencyNotReady "no tags in database" and waits for the scan (no error, no retry), so it is progress, not a
 * problem (info). A missing or refused repository stays a warning or an error.
 */
function awaitingFirstScan(e: FluxEvent): boolean {
  return e.object.kind === 'ImagePolicy' && e.reason === 'DependencyNotReady' && e.message === 'no tags in database';
}

/**
 * The image automation's good news worth keeping in the inbox (as info): an ImagePolicy selected a new image ("new
 * image v2.3.1 selected for podinfo") and an ImageUpdateAutomation pushed a commit ("pushed commit 'abc1234' to
 * branch 'main' updating 3 files"). Both controllers emit these Normal `Succeeded` events only when something changed
 * (in-cluster Flux does too: "Latest image tag for … updated", "committed and pushed …"), so each is news.
 */
function imageUpdateAlert(e: FluxEvent): Pick<AlertInput, 'rule' | 'severity' | 'reason' | 'message'> | undefined {
  if (e.type !== 'Normal' || e.reason !== 'Succeeded') return undefined;
  if (e.object.kind !== 'ImagePolicy' && e.object.kind !== 'ImageUpdateAutomation') return undefined;
  // Our controllers append the Ready message after a colon; the inbox line is the news itself.
  const message =
    e.object.kind === 'ImagePolicy' ? e.message.replace(/^(new image \S+ selected for \S+?): .*$/s, '$1') : e.message;
  return { rule: 'image-update', severity: 'info', reason: e.reason, message };
}

function toDrifted(entry: ChangeSetEntry): DriftedObject {
  return {
    subject: entry.subject,
    ref: entry.ref,
    action: entry.action,
    ...(entry.changes ? { changes: entry.changes } : {}),
  };
}

/** `Deployment/apps/web: spec.replicas (set by kubectl-edit)` per object; values stay in `drift` (they can be long). */
export function driftMessage(entries: readonly ChangeSetEntry[], revision?: string): string {
  const parts = entries.map((e) => {
    if (e.action === 'created') return `${e.subject} was missing and was recreated`;
    const changes = e.changes ?? [];
    if (changes.length === 0) return `${e.subject} ${e.action}`;
    const fields = changes
      .slice(0, FIELDS_IN_MESSAGE)
      .map((c) => (c.manager ? `${c.path} (set by ${c.manager})` : c.path));
    const more = changes.length > FIELDS_IN_MESSAGE ? ` and ${changes.length - FIELDS_IN_MESSAGE} more` : '';
    return `${e.subject}: ${fields.join(', ')}${more}`;
  });
  return `Drift corrected${revision ? ` for revision ${revision}` : ''}: ${parts.join('; ')}`;
}

/** Repeats of a drift are the same objects, fields and managers (the values may differ). */
function driftSignature(entries: readonly ChangeSetEntry[]): string {
  return entries
    .map((e) => `${e.subject}:${e.action}:${(e.changes ?? []).map((c) => `${c.path}=${c.manager ?? ''}`).join(',')}`)
    .sort()
    .join('|');
}

/** A reconcile that ended in an error no event reported (status not writable, a crash in the reconciler). */
export function alertFromReconcileError(e: ReconcileFinished): AlertInput | undefined {
  // Shutdown and disconnect abort reconciles in flight: not a failure of the object.
  if (e.error === undefined || /\babort/i.test(e.error)) return undefined;
  return {
    rule: 'reconcile-failed',
    severity: 'error',
    cluster: e.cluster,
    object: objectOf(e),
    reason: 'ReconcileError',
    message: e.error,
    source: 'fluxdeck',
  };
}

interface Condition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  message?: string;
}

interface FluxObject extends KubeObject {
  spec?: { suspend?: boolean };
  status?: { conditions?: Condition[]; artifact?: { revision?: string; lastUpdateTime?: string } };
}

const readyOf = (o: FluxObject): Condition | undefined => o.status?.conditions?.find((c) => c.type === 'Ready');
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * When `spec.suspend` was set, from the object's managedFields (the time of the manager that owns the field). Objects
 * from watch caches have no managedFields; the feed reads the object once to find out.
 */
export function suspendedSince(obj: KubeObject): number | undefined {
  const time = ownersOf(obj, [{ key: 'spec' }, { key: 'suspend' }])[0]?.time;
  const ms = time === undefined ? Number.NaN : Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Objects suspended for longer than the setting; `since` says when each was suspended (undefined: not known yet). */
export function suspendedAlerts(
  cluster: string,
  objects: readonly KubeObject[],
  since: (obj: KubeObject) => number | undefined,
  { now, settings }: RuleTime,
): AlertInput[] {
  const alerts: AlertInput[] = [];
  for (const obj of objects as readonly FluxObject[]) {
    if (!obj.spec?.suspend || obj.metadata.deletionTimestamp) continue;
    const from = since(obj);
    if (from === undefined || now - from < settings.suspendedForMs) continue;
    const object = objectOf({ apiVersion: obj.apiVersion, kind: obj.kind, ...obj.metadata });
    const why = obj.metadata.annotations?.['suspend.toolkit.fluxcd.io/reason'];
    alerts.push({
      rule: 'suspended',
      severity: 'warning',
      cluster,
      object,
      reason: 'SuspendedTooLong',
      message: `${describeObject(object)} has been suspended since ${iso(from)}${why ? ` (reason: ${why})` : ''}; nothing is reconciled until it is resumed`,
      source: 'fluxdeck',
    });
  }
  return alerts;
}

/** An OCI HelmRepository is static in Flux v1: it is never fetched and has no Ready condition to go stale. */
function isStatic(src: FluxObject): boolean {
  return src.kind === 'HelmRepository' && (src.spec as { type?: string } | undefined)?.type === 'oci';
}

/**
 * Sources that have not fetched successfully for longer than the setting: Ready not True since its last transition
 * (or since creation when there is no Ready yet). A source that is Ready but simply has no new commits is not stale:
 * Flux rewrites `artifact.lastUpdateTime` only when the revision changes, so that time alone cannot tell.
 */
export function staleSourceAlerts(
  cluster: string,
  sources: readonly KubeObject[],
  { now, settings }: RuleTime,
): AlertInput[] {
  const alerts: AlertInput[] = [];
  for (const src of sources as readonly FluxObject[]) {
    if (src.spec?.suspend || src.metadata.deletionTimestamp || isStatic(src)) continue;
    const ready = readyOf(src);
    if (ready?.status === 'True') continue;
    const from = Date.parse(ready?.lastTransitionTime ?? src.metadata.creationTimestamp ?? '');
    if (Number.isNaN(from) || now - from < settings.sourceStaleForMs) continue;
    const object = objectOf({ apiVersion: src.apiVersion, kind: src.kind, ...src.metadata });
    const artifact = src.status?.artifact;
    const serving = artifact?.revision
      ? `the cluster still gets revision ${artifact.revision}${artifact.lastUpdateTime ? ` from ${artifact.lastUpdateTime}` : ''}`
      : 'there is no artifact yet';
    alerts.push({
      rule: 'source-stale',
      severity: 'warning',
      cluster,
      object,
      reason: 'SourceStale',
      message: `${describeObject(object)} has not fetched successfully since ${iso(from)}; ${serving}${ready?.message ? `. Last error: ${ready.message}` : ''}`,
      source: 'fluxdeck',
    });
  }
  return alerts;
}

/** A context whose requests fail authentication or cannot reach the cluster. */
export function authAlert(context: string, health: AuthHealth | undefined): AlertInput | undefined {
  if (health?.state !== 'failing' || !health.lastError) return undefined;
  const { message, hint, reason } = health.lastError;
  return {
    rule: 'cluster-auth',
    severity: 'error',
    cluster: context,
    reason,
    message: hint ? `${message} (${hint})` : message,
    source: 'fluxdeck',
  };
}
