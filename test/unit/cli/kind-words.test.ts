import { describe, expect, it } from 'vitest';

import { statusRow } from '../../../main/cli/commands/get.ts';
import { kindFromWords } from '../../../main/cli/kind-words.ts';

describe('kindFromWords for the notification kinds', () => {
  it('reads alerts, alert-providers and receivers as the flux CLI names them', () => {
    expect(kindFromWords(['alerts'], 'get').kind.kind).toBe('Alert');
    expect(kindFromWords(['alert-providers', 'slack'], 'get')).toMatchObject({
      kind: { kind: 'Provider' },
      rest: ['slack'],
    });
    expect(kindFromWords(['receiver', 'gh'], 'reconcile')).toMatchObject({ kind: { kind: 'Receiver' }, rest: ['gh'] });
  });

  it('shows statusless Alerts and Providers as configuration, Receivers by their Ready condition', () => {
    expect(statusRow({ apiVersion: 'x', kind: 'Alert', metadata: {} })).toEqual({
      ready: '-',
      message: 'configuration (no status)',
    });
    const receiver = {
      apiVersion: 'x',
      kind: 'Receiver',
      metadata: {},
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'True' as const,
            reason: 'Succeeded',
            message: 'Receiver initialized for path: /hook/x',
            lastTransitionTime: '',
          },
        ],
      },
    };
    expect(statusRow(receiver)).toEqual({ ready: 'True', message: 'Receiver initialized for path: /hook/x' });
  });
});
