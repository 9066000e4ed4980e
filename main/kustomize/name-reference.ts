/**
 * Name references: after prefixes, suffixes, namespaces and hash suffixes changed names, every field that names
 * another resource of the build (a ConfigMap volume, a roleRef, a Service backend...) is pointed at the new name.
 * The table is kustomize's built-in nameReference configuration; the choice among several same-named targets is
 * kustomize's sieve (referral.ts).
 */
import { applyFieldSpecs, type FieldSpec } from './field-specs.ts';
import {
  checkRoleBindingSubjects,
  inNamespace,
  referableBy,
  referableKey,
  type ReferralGvk,
  selectReferral,
} from './referral.ts';
import { isMapValue, nameOf, namespaceOf, type Res } from './resource.ts';

export interface Referral {
  kind: string;
  group?: string;
  specs: FieldSpec[];
}

const POD_SPEC_PATHS: [string, string][] = [
  ['Pod', 'spec'],
  ['PodTemplate', 'template/spec'],
  ['Deployment', 'spec/template/spec'],
  ['ReplicaSet', 'spec/template/spec'],
  ['DaemonSet', 'spec/template/spec'],
  ['StatefulSet', 'spec/template/spec'],
  ['Job', 'spec/template/spec'],
  ['CronJob', 'spec/jobTemplate/spec/template/spec'],
];

function inPodSpecs(paths: string[], kinds = POD_SPEC_PATHS): FieldSpec[] {
  return kinds.flatMap(([kind, prefix]) => paths.map((p) => ({ kind, path: `${prefix}/${p}` })));
}

const CONFIGMAP_PATHS = [
  'volumes/configMap/name',
  'containers/env/valueFrom/configMapKeyRef/name',
  'initContainers/env/valueFrom/configMapKeyRef/name',
  'containers/envFrom/configMapRef/name',
  'initContainers/envFrom/configMapRef/name',
  'volumes/projected/sources/configMap/name',
];
const SECRET_PATHS = [
  'volumes/secret/secretName',
  'containers/env/valueFrom/secretKeyRef/name',
  'initContainers/env/valueFrom/secretKeyRef/name',
  'containers/envFrom/secretRef/name',
  'initContainers/envFrom/secretRef/name',
  'imagePullSecrets/name',
  'volumes/projected/sources/secret/name',
];
const WORKLOADS_WITH_RC: [string, string][] = [
  ['Pod', 'spec'],
  ['StatefulSet', 'spec/template/spec'],
  ['Deployment', 'spec/template/spec'],
  ['ReplicationController', 'spec/template/spec'],
  ['CronJob', 'spec/jobTemplate/spec/template/spec'],
  ['Job', 'spec/template/spec'],
  ['DaemonSet', 'spec/template/spec'],
];
const hpa = (kind: string): Referral => ({
  kind,
  specs: [{ kind: 'HorizontalPodAutoscaler', path: 'spec/scaleTargetRef/name' }],
});

export const NAME_REFERENCES: Referral[] = [
  hpa('Deployment'),
  hpa('ReplicationController'),
  hpa('ReplicaSet'),
  hpa('StatefulSet'),
  {
    kind: 'ConfigMap',
    specs: [
      ...inPodSpecs(CONFIGMAP_PATHS),
      { kind: 'Node', path: 'spec/configSource/configMap' },
      { kind: 'Role', path: 'rules/resourceNames' },
      { kind: 'ClusterRole', path: 'rules/resourceNames' },
      { kind: 'Ingress', path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap' },
    ],
  },
  {
    kind: 'Secret',
    specs: [
      ...inPodSpecs(SECRET_PATHS),
      { kind: 'Ingress', path: 'spec/tls/secretName' },
      { kind: 'Ingress', path: 'metadata/annotations/ingress.kubernetes.io\\/auth-secret' },
      { kind: 'Ingress', path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret' },
      { kind: 'Ingress', path: 'metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret' },
      { kind: 'ServiceAccount', path: 'imagePullSecrets/name' },
      { kind: 'StorageClass', path: 'parameters/secretName' },
      { kind: 'StorageClass', path: 'parameters/adminSecretName' },
      { kind: 'StorageClass', path: 'parameters/userSecretName' },
      { kind: 'StorageClass', path: 'parameters/secretRef' },
      { kind: 'Role', path: 'rules/resourceNames' },
      { kind: 'ClusterRole', path: 'rules/resourceNames' },
      {
        kind: 'Service',
        group: 'serving.knative.dev',
        version: 'v1',
        path: 'spec/template/spec/containers/env/valueFrom/secretKeyRef/name',
      },
      { kind: 'PersistentVolume', path: 'spec/azureFile/secretName' },
    ],
  },
  {
    kind: 'Service',
    specs: [
      { kind: 'StatefulSet', group: 'apps', path: 'spec/serviceName' },
      { kind: 'Ingress', path: 'spec/rules/http/paths/backend/serviceName' },
      { kind: 'Ingress', path: 'spec/backend/serviceName' },
      { kind: 'Ingress', path: 'spec/rules/http/paths/backend/service/name' },
      { kind: 'Ingress', path: 'spec/defaultBackend/service/name' },
      { kind: 'APIService', group: 'apiregistration.k8s.io', path: 'spec/service/name' },
      {
        kind: 'ValidatingWebhookConfiguration',
        group: 'admissionregistration.k8s.io',
        path: 'webhooks/clientConfig/service',
      },
      {
        kind: 'MutatingWebhookConfiguration',
        group: 'admissionregistration.k8s.io',
        path: 'webhooks/clientConfig/service',
      },
      { kind: 'HTTPRoute', path: 'spec/rules/backendRefs/name' },
    ],
  },
  {
    kind: 'Role',
    group: 'rbac.authorization.k8s.io',
    specs: [{ kind: 'RoleBinding', group: 'rbac.authorization.k8s.io', path: 'roleRef/name' }],
  },
  {
    kind: 'ClusterRole',
    group: 'rbac.authorization.k8s.io',
    specs: [
      { kind: 'RoleBinding', group: 'rbac.authorization.k8s.io', path: 'roleRef/name' },
      { kind: 'ClusterRoleBinding', group: 'rbac.authorization.k8s.io', path: 'roleRef/name' },
    ],
  },
  {
    kind: 'ServiceAccount',
    specs: [
      { kind: 'RoleBinding', group: 'rbac.authorization.k8s.io', path: 'subjects' },
      { kind: 'ClusterRoleBinding', group: 'rbac.authorization.k8s.io', path: 'subjects' },
      ...WORKLOADS_WITH_RC.map(([kind, prefix]) => ({ kind, path: `${prefix}/serviceAccountName` })),
    ],
  },
  {
    kind: 'PersistentVolumeClaim',
    specs: WORKLOADS_WITH_RC.map(([kind, prefix]) => ({
      kind,
      path: `${prefix}/volumes/persistentVolumeClaim/claimName`,
    })),
  },
  {
    kind: 'PersistentVolume',
    specs: [
      { kind: 'PersistentVolumeClaim', path: 'spec/volumeName' },
      { kind: 'ClusterRole', path: 'rules/resourceNames' },
    ],
  },
  {
    kind: 'StorageClass',
    group: 'storage.k8s.io',
    specs: [
      { kind: 'PersistentVolume', path: 'spec/storageClassName' },
      { kind: 'PersistentVolumeClaim', path: 'spec/storageClassName' },
      { kind: 'StatefulSet', path: 'spec/volumeClaimTemplates/spec/storageClassName' },
    ],
  },
  {
    kind: 'PriorityClass',
    group: 'scheduling.k8s.io',
    specs: WORKLOADS_WITH_RC.map(([kind, prefix]) => ({ kind, path: `${prefix}/priorityClassName` })),
  },
  { kind: 'IngressClass', specs: [{ kind: 'Ingress', path: 'spec/ingressClassName' }] },
  {
    kind: 'ValidatingAdmissionPolicy',
    group: 'admissionregistration.k8s.io',
    specs: [{ kind: 'ValidatingAdmissionPolicyBinding', path: 'spec/policyName' }],
  },
];

interface FieldContext {
  referrer: Res;
  candidates: Res[];
  target: ReferralGvk;
  spec: FieldSpec;
}

/** For `roleRef/name`, the roleRef's own apiGroup and kind narrow the referral (kustomize's roleRefFilter). */
function roleRefOf(parent: Record<string, unknown>, spec: FieldSpec): ReferralGvk | undefined {
  if (!spec.path.endsWith('roleRef/name')) return undefined;
  if (typeof parent.apiGroup !== 'string' || typeof parent.kind !== 'string') return undefined;
  return { group: parent.apiGroup, kind: parent.kind };
}

function newName(ctx: FieldContext, oldName: string, roleRef?: ReferralGvk): string | undefined {
  const t = selectReferral(ctx.candidates, {
    referrer: ctx.referrer,
    oldName,
    target: ctx.target,
    roleRef,
    withNamespace: false,
  });
  return t ? nameOf(t) : undefined;
}

function updateField(parent: Record<string, unknown>, key: string, ctx: FieldContext): void {
  const value = parent[key];
  if (typeof value === 'string') {
    const name = newName(ctx, value, roleRefOf(parent, ctx.spec));
    if (name !== undefined) parent[key] = name;
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (typeof item === 'string') {
        const name = newName(ctx, item);
        if (name !== undefined) value[i] = name;
      } else if (isMapValue(item)) updateNamedMap(item, ctx);
    });
  } else if (isMapValue(value)) updateNamedMap(value, ctx);
}

/** A `{name, namespace}` reference: RBAC subjects, webhook services, node config sources. */
function updateNamedMap(ref: Record<string, unknown>, ctx: FieldContext): void {
  if (typeof ref.name !== 'string') return;
  // Kustomize does not look at a subject's kind: a User or Group named like a renamed ServiceAccount it can see
  // follows the rename too.
  const candidates = typeof ref.namespace === 'string' ? inNamespace(ctx.candidates, ref.namespace) : ctx.candidates;
  const t = selectReferral(candidates, {
    referrer: ctx.referrer,
    oldName: ref.name,
    target: ctx.target,
    withNamespace: true,
  });
  if (!t) return;
  ref.name = nameOf(t);
  // An empty namespace is a wildcard here, not "default": never write it over a namespace the reference has.
  const tns = namespaceOf(t);
  if (tns) ref.namespace = tns;
}

/** Points every reference in `all` at the current names of the resources it names. */
export function fixNameReferences(all: Res[], referrals: readonly Referral[] = NAME_REFERENCES): void {
  checkRoleBindingSubjects(all);
  for (const referral of referrals) {
    const target = { kind: referral.kind, group: referral.group };
    // Only resources with an earlier id of the referral's kind can need a reference updated (kustomize's sieve
    // drops the rest), so the candidates start from those, in build order.
    const ofKind = all.filter((r) => r.history.some((id) => id.kind === referral.kind));
    if (ofKind.length === 0) continue;
    // What a referrer may see depends only on its namespace (and a RoleBinding's subjects), so cache by that.
    const referable = new Map<string, Res[]>();
    const candidatesFor = (r: Res): Res[] => {
      const key = referableKey(r);
      let c = referable.get(key);
      if (!c) {
        c = referableBy(ofKind, r);
        referable.set(key, c);
      }
      return c;
    };
    for (const referrer of all) {
      applyFieldSpecs(referrer.obj, referral.specs, (parent, key, spec) =>
        updateField(parent, key, { referrer, candidates: candidatesFor(referrer), target, spec }),
      );
    }
  }
}
