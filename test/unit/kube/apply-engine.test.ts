import { describe, expect, it } from 'vitest';

import { canonicalJson, liveFingerprint } from '../../../main/kube/apply-memo.ts';
import { compareRefs, sortForApply, sortForDelete, stagesOf } from '../../../main/kube/apply-order.ts';
import { anyInMetadata, fluxApplyPolicy, ownerLabels, pruneExclusions } from '../../../main/kube/apply-policy.ts';
import { changeEntry, changeSetMessage } from '../../../main/kube/change-set.ts';
import { inventoryFromChangeSet, inventoryRefs, staleObjects } from '../../../main/kube/inventory.ts';
import { KubeError } from '../../../main/kube/kube-error.ts';
import { cleanupPatch, ownersOf } from '../../../main/kube/managed-fields.ts';
import { normalizeForApply } from '../../../main/kube/normalize.ts';
import { isImmutableError } from '../../../main/kube/resource-manager.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';

const obj = (apiVersion: string, kind: string, name: string, namespace?: string, extra: object = {}): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  ...extra,
});

const owner = { field: 'kustomize-controller', group: 'kustomize.toolkit.fluxcd.io' };

describe('apply order and stages', () => {
  it('sorts known kinds first in Flux order, unknown kinds after, webhooks last, then by group, namespace and name', () => {
    const input = [
      obj('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', 'v'),
      obj('example.com/v1', 'Widget', 'w', 'b'),
      obj('apps/v1', 'Deployment', 'd', 'a'),
      obj('v1', 'ConfigMap', 'z', 'a'),
      obj('v1', 'ConfigMap', 'a', 'b'),
      obj('v1', 'ConfigMap', 'b', 'a'),
      obj('admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'm'),
      obj('v1', 'Namespace', 'a'),
      obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com'),
      obj('another.io/v1', 'Gadget', 'g', 'a'),
      obj('v1', 'ServiceAccount', 'sa', 'a'),
      obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'cr'),
    ];
    expect(sortForApply(input).map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`)).toEqual([
      'CustomResourceDefinition//widgets.example.com',
      'Namespace//a',
      'ServiceAccount/a/sa',
      'ClusterRole//cr',
      'ConfigMap/a/b',
      'ConfigMap/a/z',
      'ConfigMap/b/a',
      'Deployment/a/d',
      'Gadget/a/g', // unknown kinds: by group (another.io < example.com)
      'Widget/b/w',
      'MutatingWebhookConfiguration//m',
      'ValidatingWebhookConfiguration//v',
    ]);
    const refs = [
      { group: '', kind: 'Namespace', namespace: '', name: 'a' },
      { group: 'apps', kind: 'Deployment', namespace: 'a', name: 'd' },
    ];
    expect(sortForDelete(refs).map((r) => r.kind)).toEqual(['Deployment', 'Namespace']);
    expect(compareRefs(refs[0]!, refs[0]!)).toBe(0);
  });

  it('stages CRDs, Namespaces and ClusterRoles, then classes, then the rest', () => {
    const stages = stagesOf(
      [
        obj('v1', 'ConfigMap', 'c', 'a'),
        obj('storage.k8s.io/v1', 'StorageClass', 'fast'),
        obj('v1', 'Namespace', 'a'),
        obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'r'),
        obj('example.com/v1', 'Namespace', 'not-core'),
      ],
      (o) => o,
    );
    expect(stages.map((s) => [s.name, s.wait, s.objects.map((o) => o.metadata.name)])).toEqual([
      ['definitions', true, ['a', 'r']],
      ['classes', true, ['fast']],
      ['resources', false, ['c', 'not-core']],
    ]);
  });
});

describe('policy selectors', () => {
  it('matches labels or annotations, values case-insensitively, as Flux users write them', () => {
    const policy = fluxApplyPolicy(owner);
    const ignored = obj('v1', 'ConfigMap', 'x', 'a', {});
    ignored.metadata.annotations = { 'kustomize.toolkit.fluxcd.io/ssa': 'Ignore' };
    expect(anyInMetadata(ignored, policy.exclusionSelector)).toBe(true);
    const disabled = obj('v1', 'ConfigMap', 'x', 'a');
    disabled.metadata.labels = { 'kustomize.toolkit.fluxcd.io/reconcile': 'Disabled' };
    expect(anyInMetadata(disabled, policy.exclusionSelector)).toBe(true);
    const ifNotPresent = obj('v1', 'ConfigMap', 'x', 'a');
    ifNotPresent.metadata.annotations = { 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' };
    expect(anyInMetadata(ifNotPresent, policy.ifNotPresentSelector)).toBe(true);
    expect(anyInMetadata(ifNotPresent, policy.exclusionSelector)).toBe(false);
    const forced = obj('v1', 'ConfigMap', 'x', 'a');
    forced.metadata.annotations = { 'kustomize.toolkit.fluxcd.io/force': 'Enabled' };
    expect(anyInMetadata(forced, policy.forceSelector)).toBe(true);
    const pruneOff = obj('v1', 'ConfigMap', 'x', 'a');
    pruneOff.metadata.annotations = { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' };
    expect(anyInMetadata(pruneOff, pruneExclusions(owner))).toBe(true);
    expect(anyInMetadata(undefined, pruneExclusions(owner))).toBe(false);
    expect(ownerLabels(owner, 'app', 'flux-system')).toEqual({
      'kustomize.toolkit.fluxcd.io/name': 'app',
      'kustomize.toolkit.fluxcd.io/namespace': 'flux-system',
    });
  });
});

describe('managed fields', () => {
  const live: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'a',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', keep: 'x' },
      managedFields: [
        {
          manager: 'kustomize-controller',
          operation: 'Apply',
          time: '2026-01-01T00:00:00Z',
          fieldsV1: {
            'f:spec': {
              'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {} } } } },
            },
          },
        },
        {
          manager: 'kubectl-edit',
          operation: 'Update',
          time: '2026-01-02T00:00:00Z',
          fieldsV1: { 'f:spec': { 'f:replicas': {} } },
        },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          subresource: 'status',
          fieldsV1: { 'f:status': {} },
        },
      ],
    },
    spec: { replicas: 3, template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } },
  };

  it('builds the takeover patch: kubectl managers become ours, cleanup annotations go', () => {
    const ops = cleanupPatch(live, fluxApplyPolicy(owner).cleanup, 'kustomize-controller');
    expect(ops[0]).toEqual({
      op: 'remove',
      path: '/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration',
    });
    const replaced = ops[1]!.value as { manager: string; operation: string; subresource?: string }[];
    expect(replaced.map((e) => `${e.manager}:${e.operation}`)).toEqual([
      'kustomize-controller:Apply',
      'kustomize-controller:Apply',
      'kube-controller-manager:Update',
    ]);
    const clean = structuredClone(live);
    clean.metadata.annotations = {};
    clean.metadata.managedFields = [live.metadata.managedFields![0], live.metadata.managedFields![2]];
    expect(cleanupPatch(clean, fluxApplyPolicy(owner).cleanup, 'kustomize-controller')).toEqual([]);
  });

  it('finds who owns a field, including list elements matched by their associative key', () => {
    expect(ownersOf(live, [{ key: 'spec' }, { key: 'replicas' }]).map((o) => o.manager)).toEqual(['kubectl-edit']);
    const image = [
      { key: 'spec' },
      { key: 'template' },
      { key: 'spec' },
      { key: 'containers' },
      { index: 0, item: { name: 'web', image: 'nginx:1' } },
      { key: 'image' },
    ];
    expect(ownersOf(live, image).map((o) => o.manager)).toEqual(['kustomize-controller']);
    expect(ownersOf(live, [{ key: 'spec' }, { key: 'paused' }])).toEqual([]);
  });
});

describe('normalization and memo fingerprints', () => {
  it('drops server metadata and status, defaults port protocols, folds Secret stringData', () => {
    const deploy = obj('apps/v1', 'Deployment', 'd', 'a', {
      status: { replicas: 1 },
      spec: { template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }] } } },
    });
    deploy.metadata.resourceVersion = '5';
    deploy.metadata.managedFields = [];
    const n = normalizeForApply(deploy);
    expect(n.status).toBeUndefined();
    expect(n.metadata).toEqual({ name: 'd', namespace: 'a' });
    expect(n.spec).toEqual({
      template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } },
    });
    expect(deploy.status).toEqual({ replicas: 1 }); // the input is untouched
    const secret = normalizeForApply(obj('v1', 'Secret', 's', 'a', { data: { a: 'eA==' }, stringData: { b: 'y' } }));
    expect(secret.data).toEqual({ a: 'eA==', b: 'eQ==' });
    expect(secret.stringData).toBeUndefined();
    const crd = normalizeForApply(
      obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'x', undefined, { status: {} }),
    );
    expect(crd.status).toEqual({});
  });

  it('fingerprints live objects independent of key order, status and timestamps, but not of spec or ownership', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    const a = obj('v1', 'ConfigMap', 'c', 'a', { data: { x: '1' } });
    a.metadata.resourceVersion = '1';
    a.metadata.managedFields = [{ manager: 'm', operation: 'Apply', time: 't1', fieldsV1: { 'f:data': {} } }];
    const reordered: KubeObject = {
      data: { x: '1' },
      metadata: { ...a.metadata, resourceVersion: '2' },
      kind: 'ConfigMap',
      apiVersion: 'v1',
    };
    reordered.metadata.managedFields = [{ time: 't2', operation: 'Apply', manager: 'm', fieldsV1: { 'f:data': {} } }];
    expect(liveFingerprint(reordered)).toBe(liveFingerprint(a));
    expect(liveFingerprint({ ...a, data: { x: '2' } })).not.toBe(liveFingerprint(a));
    const edited = structuredClone(a);
    edited.metadata.managedFields = [
      ...(a.metadata.managedFields ?? []),
      { manager: 'kubectl-edit', operation: 'Update' },
    ];
    expect(liveFingerprint(edited)).not.toBe(liveFingerprint(a));
  });
});

describe('change sets and inventory', () => {
  it('records every entry in Flux inventory format and finds stale objects by id, ignoring versions', () => {
    const entries = [
      changeEntry(obj('v1', 'Namespace', 'apps'), 'created'),
      changeEntry(obj('apps/v1', 'Deployment', 'web', 'apps'), 'unchanged'),
      changeEntry(obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'system:web'), 'configured'),
    ];
    const inv = inventoryFromChangeSet(entries);
    expect(inv.entries).toEqual([
      { id: '_apps__Namespace', v: 'v1' },
      { id: 'apps_web_apps_Deployment', v: 'v1' },
      { id: '_system__web_rbac.authorization.k8s.io_ClusterRole', v: 'v1' },
    ]);
    expect(changeSetMessage(entries)).toBe('Namespace/apps created\nClusterRole/system:web configured');
    const next = { entries: [{ id: 'apps_web_apps_Deployment', v: 'v2' }] };
    const stale = staleObjects(inv, next);
    expect(stale.map((r) => [r.kind, r.name, r.version])).toEqual([
      ['Namespace', 'apps', 'v1'],
      ['ClusterRole', 'system:web', 'v1'],
    ]);
    expect(() => inventoryRefs({ entries: [{ id: 'garbage', v: 'v1' }] })).toThrow(/not a valid/);
  });
});

describe('immutable field errors', () => {
  it('recognises immutable-field answers but not ordinary validation errors', () => {
    const invalid = (msg: string): KubeError => new KubeError(msg, { reason: 'Invalid', status: 422 });
    expect(
      isImmutableError(
        invalid('Deployment.apps "x" is invalid: spec.selector: Invalid value: ...: field is immutable'),
      ),
    ).toBe(true);
    expect(
      isImmutableError(
        invalid("spec: Forbidden: updates to statefulset spec for fields other than 'replicas' are forbidden"),
      ),
    ).toBe(true);
    expect(
      isImmutableError(new KubeError('admission webhook denied: value is immutable', { reason: 'BadRequest' })),
    ).toBe(true);
    expect(isImmutableError(invalid('ConfigMap "x" is invalid: metadata.name: Invalid value'))).toBe(false);
  });
});
