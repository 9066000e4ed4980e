/**
 * Flux's reconciliation history (`meta.History`, fluxcd/pkg apis/meta): kustomize-controller records one snapshot per
 * distinct build (digest) and outcome (status) in `status.history`, newest first, at most five. Upserting the same
 * digest and status again counts it and moves it to the front; anything else is a new snapshot at the front.
 */
import { formatDuration } from './duration.ts';
import type { Snapshot } from './meta.ts';

/** `meta.HistoryMaxSize`. */
export const HISTORY_MAX_SIZE = 5;

export interface SnapshotInput {
  /** `sha256:<hex>` of what was reconciled (for a Kustomization: the built manifests). */
  digest: string;
  now: Date;
  durationMs: number;
  /** The Ready reason of the outcome: ReconciliationSucceeded, ReconciliationFailed, PruneFailed, ... */
  status: string;
  metadata?: Record<string, string>;
}

/** `History.Upsert`, returning a new array (the input is not changed). */
export function upsertHistory(history: readonly Snapshot[] | undefined, s: SnapshotInput): Snapshot[] {
  const at = metaTime(s.now);
  const duration = formatDuration(s.durationMs);
  const list = [...(history ?? [])];
  const i = list.findIndex((h) => h.digest === s.digest && h.lastReconciledStatus === s.status);
  const [old] = i >= 0 ? list.splice(i, 1) : [];
  let head: Snapshot;
  if (old) {
    head = {
      ...old,
      lastReconciled: at,
      lastReconciledDuration: duration,
      totalReconciliations: old.totalReconciliations + 1,
    };
    if (s.metadata) head.metadata = s.metadata;
    else delete head.metadata;
  } else {
    head = {
      digest: s.digest,
      firstReconciled: at,
      lastReconciled: at,
      lastReconciledDuration: duration,
      lastReconciledStatus: s.status,
      totalReconciliations: 1,
      ...(s.metadata ? { metadata: s.metadata } : {}),
    };
  }
  return [head, ...list].slice(0, HISTORY_MAX_SIZE);
}

/** metav1.Time: RFC 3339 in UTC with whole seconds. */
function metaTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
