import { describe, expect, it } from 'vitest';

import {
  selectedPolicies,
  SelectorError,
} from '../../../../main/controllers/imageupdateautomation/policy-selection.ts';
import type { ImagePolicy } from '../../../../main/flux/image.ts';

function policy(name: string, labels: Record<string, string>, tag?: string): ImagePolicy {
  return {
    apiVersion: 'image.toolkit.fluxcd.io/v1',
    kind: 'ImagePolicy',
    metadata: { name, namespace: 'apps', labels },
    spec: { imageRepositoryRef: { name }, policy: { semver: { range: '*' } } },
    ...(tag && { status: { latestRef: { name: `reg/${name}`, tag } } }),
  };
}

const policies = [
  policy('web', { team: 'web' }, '1.2.0'),
  policy('api', { team: 'api' }, '3.0.0'),
  policy('new', { team: 'web' }),
];

describe('the policies an automation uses', () => {
  it('takes every policy of the namespace without a selector; one without an image yet maps to undefined', () => {
    const { refs, observed } = selectedPolicies(policies, undefined);
    expect([...refs]).toEqual([
      ['apps:web', { name: 'reg/web', tag: '1.2.0' }],
      ['apps:api', { name: 'reg/api', tag: '3.0.0' }],
      ['apps:new', undefined],
    ]);
    // observedPolicies lists only what a run could use.
    expect(Object.keys(observed)).toEqual(['web', 'api']);
  });

  it('takes only what policySelector selects, and refuses a selector Kubernetes refuses', () => {
    expect([...selectedPolicies(policies, { matchLabels: { team: 'web' } }).refs.keys()]).toEqual([
      'apps:web',
      'apps:new',
    ]);
    expect(() => selectedPolicies(policies, { matchExpressions: [{ key: 'team', operator: 'Is' }] })).toThrow(
      SelectorError,
    );
  });
});
