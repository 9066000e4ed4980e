/**
 * Name references: after prefixes, suffixes, namespaces and hash suffixes changed names, every field that names
 * another resource of the build (a ConfigMap volume, a roleRef, a Service backend...) is pointed at the new name.
 * The table is kustomize's built-in nameReference configuration; the choice among several same-named targets follows
 * kustomize's sieve (same namespace as the referrer, then same prefixes and suffixes).
 */
import { groupOf } from '../util/kube-object.ts';
import { KustomizeError } from './errors.ts';
import { applyFieldSpecs, type FieldSpec } from './field-specs.ts';
import { describeRes, isMapValue, isNamespaced, nameOf, namespaceOf, type Res } from './resource.ts';

interface Referral {
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
];

function effectiveNs(ns: string): string {
  return ns || 'default';
}

/** Every (name, namespace) the resource answered to, current one last. */
function names(r: Res): { name: string; namespace: string }[] {
  return [...r.history, { name: nameOf(r), namespace: namespaceOf(r) }];
}

function sameAffixes(a: Res, b: Res): boolean {
  return a.prefixes.join('\0') === b.prefixes.join('\0') && a.suffixes.join('\0') === b.suffixes.join('\0');
}

interface Lookup {
  referrer: Res;
  oldName: string;
  /** When the reference carries its own namespace (subjects, webhook services). */
  namespace?: string;
  kindFilter?: string;
}

function select(targets: Res[], q: Lookup): Res | undefined {
  let cands = targets.filter((t) =>
    names(t).some(
      (n) =>
        n.name === q.oldName &&
        (q.namespace === undefined ||
          !isNamespaced(t.obj.kind) ||
          effectiveNs(n.namespace) === effectiveNs(q.namespace)),
    ),
  );
  if (q.kindFilter) cands = cands.filter((t) => t.obj.kind === q.kindFilter);
  if (q.namespace === undefined && isNamespaced(q.referrer.obj.kind)) {
    const refNs = effectiveNs(namespaceOf(q.referrer));
    cands = cands.filter((t) => !isNamespaced(t.obj.kind) || effectiveNs(namespaceOf(t)) === refNs);
  }
  if (cands.length <= 1) return cands[0];
  const same = cands.filter((t) => sameAffixes(t, q.referrer));
  if (same.length === 1) return same[0];
  const pool = same.length > 0 ? same : cands;
  const [first] = pool;
  if (first && pool.every((t) => nameOf(t) === nameOf(first))) return first;
  throw new KustomizeError({
    file: q.referrer.source,
    message: `found multiple possible referrals for '${q.oldName}' in ${describeRes(q.referrer)}: ${pool.map(describeRes).join(', ')}`,
  });
}

function updateField(
  parent: Record<string, unknown>,
  key: string,
  targets: Res[],
  referrer: Res,
  spec: FieldSpec,
): void {
  const value = parent[key];
  const kindFilter = spec.path === 'roleRef/name' && typeof parent.kind === 'string' ? parent.kind : undefined;
  if (typeof value === 'string') {
    const t = select(targets, { referrer, oldName: value, kindFilter });
    if (t) parent[key] = nameOf(t);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      if (typeof item === 'string') {
        const t = select(targets, { referrer, oldName: item });
        if (t) value[i] = nameOf(t);
      } else if (isMapValue(item)) updateNamedMap(item, targets, referrer, spec);
    });
  } else if (isMapValue(value)) updateNamedMap(value, targets, referrer, spec);
}

/** A `{name, namespace}` reference: RBAC subjects, webhook services, node config sources. */
function updateNamedMap(ref: Record<string, unknown>, targets: Res[], referrer: Res, spec: FieldSpec): void {
  if (typeof ref.name !== 'string') return;
  if (spec.path === 'subjects' && ref.kind !== 'ServiceAccount') return;
  const ns = typeof ref.namespace === 'string' ? ref.namespace : undefined;
  const t = select(targets, { referrer, oldName: ref.name, namespace: ns });
  if (!t) return;
  ref.name = nameOf(t);
  const tns = namespaceOf(t);
  if (tns && (ns !== undefined || spec.path === 'subjects')) ref.namespace = tns;
}

/** Points every reference in `all` at the current names of the resources it names. */
export function fixNameReferences(all: Res[]): void {
  for (const referral of NAME_REFERENCES) {
    const targets = all.filter(
      (r) => r.obj.kind === referral.kind && (!referral.group || groupOf(r.obj.apiVersion) === referral.group),
    );
    if (targets.length === 0) continue;
    for (const referrer of all) {
      applyFieldSpecs(referrer.obj, referral.specs, (parent, key, spec) =>
        updateField(parent, key, targets, referrer, spec),
      );
    }
  }
}
