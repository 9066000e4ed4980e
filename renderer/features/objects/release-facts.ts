/**
 * Pure wording for the HelmRelease panel: where a value came from, and what the last drift check found (from the
 * HelmRelease's events, which helm-controller and Fluxdeck's controller emit as DriftDetected / DriftCorrected).
 */
import type { HelmReleaseView, KubeEvent, ValuesOrigin } from '../../../main/contract/index.ts';

/** `spec.values`, `ConfigMap app-values (values.yaml)`, `Secret db (password → db.password)`. */
export function originLabel(o: ValuesOrigin): string {
  if (o.type === 'values') return 'spec.values';
  const at = o.targetPath ? `${o.valuesKey} → ${o.targetPath}` : o.valuesKey;
  return `${o.type} ${o.name} (${at})${o.optional ? ', optional' : ''}`;
}

export interface DriftFact {
  state: 'disabled' | 'in-sync' | 'drifted' | 'corrected' | 'unknown';
  message: string;
  at?: string;
}

const DRIFT_REASONS = new Set(['DriftDetected', 'DriftCorrected']);

/**
 * The drift state the panel shows: detection off, else the newest drift event (corrected in `enabled` mode, only
 * reported in `warn` mode), else in sync once a release was made and the events hold no drift.
 */
export function driftFact(mode: HelmReleaseView['driftMode'], events: readonly KubeEvent[] | undefined): DriftFact {
  if (mode === 'disabled')
    return { state: 'disabled', message: 'Drift detection is off (spec.driftDetection.mode: disabled).' };
  if (!events) return { state: 'unknown', message: 'Reading the events…' };
  const last = [...events]
    .filter((e) => DRIFT_REASONS.has(e.reason))
    .sort((a, b) => (a.lastSeen ?? '').localeCompare(b.lastSeen ?? ''))
    .at(-1);
  if (!last)
    return {
      state: 'in-sync',
      message: `No drift reported in the events (mode ${mode}; Kubernetes keeps events for about an hour).`,
    };
  return {
    state: last.reason === 'DriftCorrected' ? 'corrected' : 'drifted',
    message: last.message,
    ...(last.lastSeen !== undefined && { at: last.lastSeen }),
  };
}
