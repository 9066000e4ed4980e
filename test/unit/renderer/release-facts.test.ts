import { describe, expect, it } from 'vitest';

import type { KubeEvent } from '../../../main/contract/index.ts';
import { driftFact, originLabel } from '../../../renderer/features/objects/release-facts.ts';

const event = (reason: string, lastSeen: string, message = reason): KubeEvent => ({
  type: reason === 'DriftDetected' ? 'Warning' : 'Normal',
  reason,
  message,
  count: 1,
  lastSeen,
});

describe('HelmRelease panel facts', () => {
  it('names where a value came from', () => {
    expect(originLabel({ type: 'values' })).toBe('spec.values');
    expect(originLabel({ type: 'ConfigMap', name: 'base', valuesKey: 'values.yaml', optional: false })).toBe(
      'ConfigMap base (values.yaml)',
    );
    expect(
      originLabel({ type: 'Secret', name: 'creds', valuesKey: 'token', targetPath: 'auth.token', optional: true }),
    ).toBe('Secret creds (token → auth.token), optional');
  });

  it('reads the drift state from the newest drift event, or says detection is off', () => {
    expect(driftFact('disabled', []).state).toBe('disabled');
    expect(driftFact('warn', undefined).state).toBe('unknown');
    expect(driftFact('enabled', [event('UpgradeSucceeded', '2026-01-01T00:00:00Z')]).state).toBe('in-sync');
    const events = [
      event('DriftCorrected', '2026-01-01T00:00:00Z'),
      event('DriftDetected', '2026-01-02T00:00:00Z', 'Deployment/apps/web changed'),
      event('UpgradeSucceeded', '2026-01-03T00:00:00Z'),
    ];
    expect(driftFact('warn', events)).toEqual({
      state: 'drifted',
      message: 'Deployment/apps/web changed',
      at: '2026-01-02T00:00:00Z',
    });
    expect(driftFact('enabled', [...events, event('DriftCorrected', '2026-01-04T00:00:00Z')]).state).toBe('corrected');
  });
});
