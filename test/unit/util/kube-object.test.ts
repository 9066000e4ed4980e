import { describe, expect, it } from 'vitest';

import { describeRef, groupOf, inventoryId, parseInventoryId } from '../../../main/util/kube-object.ts';

describe('inventory ids (Flux / cli-utils format)', () => {
  it.each([
    [{ namespace: 'default', name: 'podinfo', group: 'apps', kind: 'Deployment' }, 'default_podinfo_apps_Deployment'],
    [{ namespace: 'default', name: 'podinfo', group: '', kind: 'Service' }, 'default_podinfo__Service'],
    [{ namespace: '', name: 'my-ns', group: '', kind: 'Namespace' }, '_my-ns__Namespace'],
    [
      { namespace: '', name: 'system:controller:x', group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
      '_system__controller__x_rbac.authorization.k8s.io_ClusterRole',
    ],
  ])('round-trips %o as %s', (ref, id) => {
    expect(inventoryId(ref)).toBe(id);
    expect(parseInventoryId(id)).toEqual(ref);
  });

  it('rejects malformed ids', () => {
    expect(parseInventoryId('nounderscores')).toBeUndefined();
    expect(parseInventoryId('a_b')).toBeUndefined();
  });

  it('derives groups and descriptions', () => {
    expect(groupOf('v1')).toBe('');
    expect(groupOf('apps/v1')).toBe('apps');
    expect(describeRef({ namespace: '', name: 'x', group: '', kind: 'Namespace' })).toBe('Namespace/x');
  });
});
