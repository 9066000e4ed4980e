/**
 * Flux's controller manifests (`gotk-components.yaml`), generated as `flux install --export` / `flux bootstrap` write
 * them for Flux v2.9.5: fluxcd/flux2 `pkg/manifestgen/install` (its templates and options) applied to
 * `manifests/bases/<controller>` (each controller's `config/manager` Deployment and Service, its ServiceAccount and
 * labels, flux's patches), `manifests/rbac` and `manifests/policies`. The flux CLI built for tests carries no embedded
 * manifests, so this module is the generator: pure, deterministic (the same options give the same bytes, which keeps
 * a second bootstrap from pushing anything), and limited to the versions whose CRDs Fluxdeck ships.
 */
import { stringify } from 'yaml';

import type { KubeObject } from '../../util/kube-object.ts';
import { type CustomResourceDefinition, FLUXDECK_LABELS } from './crd-manifests.ts';
import { FLUX_CONTROLLERS, type FluxControllerName } from './detect-flux.ts';

/** The Flux distribution whose CRDs Fluxdeck ships (resources/crds) and whose controllers it can deploy. */
export const FLUX_VERSION = 'v2.9.5';

/** The controllers' image tags in Flux v2.9.5 (fluxcd/flux2 `manifests/bases/<controller>/kustomization.yaml`). */
export const CONTROLLER_VERSIONS: Record<FluxControllerName, string> = {
  'source-controller': 'v1.9.5',
  'kustomize-controller': 'v1.9.5',
  'helm-controller': 'v1.6.4',
  'notification-controller': 'v1.9.4',
  'image-reflector-controller': 'v1.2.5',
  'image-automation-controller': 'v1.2.5',
};

/** flux's defaults (`MakeDefaultOptions`): the four controllers installed unless `--components` says otherwise. */
export const DEFAULT_COMPONENTS: readonly FluxControllerName[] = [
  'source-controller',
  'kustomize-controller',
  'helm-controller',
  'notification-controller',
];
/** What `--components-extra` may add. flux also offers source-watcher, whose CRD Fluxdeck does not ship. */
export const EXTRA_COMPONENTS: readonly FluxControllerName[] = [
  'image-reflector-controller',
  'image-automation-controller',
];
export const DEFAULT_REGISTRY = 'ghcr.io/fluxcd';

export interface ComponentsOptions {
  version: string;
  namespace: string;
  /** In flux's order: the defaults first, then the extras. */
  components: FluxControllerName[];
  /** Where the images come from, e.g. `ghcr.io/fluxcd` or an air-gapped mirror `registry.local:5000/fluxcd`. */
  registry: string;
  imagePullSecret?: string;
  watchAllNamespaces: boolean;
  networkPolicy: boolean;
  clusterDomain: string;
  logLevel: 'debug' | 'info' | 'error';
  tolerationKeys: string[];
}

/** Bad options: the message names the flag, what is wrong and what to give instead. */
export class ComponentsInputError extends Error {
  override readonly name = 'ComponentsInputError';
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** An image repository prefix as the distribution reference grammar allows it: `host[:port]/path`, no tag or digest. */
const REGISTRY =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

function list(value: string | readonly string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = typeof value === 'string' ? value.split(',') : [...value];
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

function componentList(flag: string, names: string[], allowed: readonly FluxControllerName[]): FluxControllerName[] {
  for (const name of names) {
    if (name === 'source-watcher')
      throw new ComponentsInputError(
        `${flag}: source-watcher is not available: Fluxdeck does not ship its ArtifactGenerator CRD`,
      );
    if (!(allowed as readonly string[]).includes(name))
      throw new ComponentsInputError(`${flag}: unknown component '${name}'; choose from ${allowed.join(', ')}`);
  }
  return names as FluxControllerName[];
}

export interface ComponentsInput {
  version?: string;
  namespace?: string;
  components?: string | readonly string[];
  componentsExtra?: string | readonly string[];
  registry?: string;
  imagePullSecret?: string;
  watchAllNamespaces?: boolean;
  networkPolicy?: boolean;
  clusterDomain?: string;
  logLevel?: string;
  tolerationKeys?: string | readonly string[];
}

function checkVersion(version: string): void {
  if (version !== 'latest' && version.replace(/^v?/, 'v') !== FLUX_VERSION)
    throw new ComponentsInputError(
      `--version ${version}: Fluxdeck ships the CRDs of Flux ${FLUX_VERSION} and deploys only that version's ` +
        `controllers; use --version ${FLUX_VERSION} (or leave it out)`,
    );
}

function chooseComponents(input: ComponentsInput): FluxControllerName[] {
  const all = [...DEFAULT_COMPONENTS, ...EXTRA_COMPONENTS];
  const chosen = componentList('--components', list(input.components) ?? [...DEFAULT_COMPONENTS], all);
  const extra = componentList('--components-extra', list(input.componentsExtra) ?? [], EXTRA_COMPONENTS);
  const components = all.filter((c) => chosen.includes(c) || extra.includes(c));
  for (const required of ['source-controller', 'kustomize-controller'] as const)
    if (!components.includes(required))
      throw new ComponentsInputError(
        `--components: ${required} is required to reconcile flux-system in the cluster; add it to the list`,
      );
  return components;
}

function checkRegistry(input: string | undefined): string {
  const registry = (input ?? DEFAULT_REGISTRY).replace(/\/+$/, '');
  if (!REGISTRY.test(registry))
    throw new ComponentsInputError(
      `--registry ${input ?? ''}: not an image repository prefix; give host[:port]/path without a scheme, ` +
        `tag or digest, e.g. ${DEFAULT_REGISTRY} or registry.local:5000/fluxcd`,
    );
  return registry;
}

function checkName(flag: string, value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) throw new ComponentsInputError(`${flag} ${value}: ${what}`);
  return value;
}

function checkLogLevel(level: string): ComponentsOptions['logLevel'] {
  if (level !== 'debug' && level !== 'info' && level !== 'error')
    throw new ComponentsInputError(`--log-level ${level}: use debug, info or error`);
  return level;
}

/** Checks and defaults, as `flux bootstrap`/`flux install` take them; throws ComponentsInputError. */
export function componentsOptions(input: ComponentsInput): ComponentsOptions {
  checkVersion(input.version ?? FLUX_VERSION);
  const namespace = input.namespace ?? 'flux-system';
  checkName('--namespace', namespace, DNS_LABEL, 'not a valid namespace name (RFC 1123 label)');
  const secret = input.imagePullSecret;
  if (secret !== undefined) checkName('--image-pull-secret', secret, DNS_SUBDOMAIN, 'not a valid Secret name');
  const clusterDomain = (input.clusterDomain ?? 'cluster.local').replace(/\.$/, '');
  checkName('--cluster-domain', clusterDomain, DNS_SUBDOMAIN, 'not a DNS domain, e.g. cluster.local');
  return {
    version: FLUX_VERSION,
    namespace,
    components: chooseComponents(input),
    registry: checkRegistry(input.registry),
    ...(secret ? { imagePullSecret: secret } : {}),
    watchAllNamespaces: input.watchAllNamespaces ?? true,
    networkPolicy: input.networkPolicy ?? true,
    clusterDomain,
    logLevel: checkLogLevel(input.logLevel ?? 'info'),
    tolerationKeys: list(input.tolerationKeys) ?? [],
  };
}

/** `<registry>/<controller>:<tag>`, the pinned image of a controller. */
export function controllerImage(o: Pick<ComponentsOptions, 'registry'>, c: FluxControllerName): string {
  return `${o.registry}/${c}:${CONTROLLER_VERSIONS[c]}`;
}

type Labels = Record<string, string>;

/** flux's install `labels.yaml`: on every object (and on the Deployments' pod templates). */
function fluxLabels(o: ComponentsOptions, component?: FluxControllerName): Labels {
  return {
    'app.kubernetes.io/instance': o.namespace,
    'app.kubernetes.io/part-of': 'flux',
    'app.kubernetes.io/version': o.version,
    ...(component ? { 'app.kubernetes.io/component': component } : {}),
  };
}

function meta(name: string, labels: Labels, namespace?: string): KubeObject['metadata'] {
  return { name, ...(namespace ? { namespace } : {}), labels };
}

/** What differs between the controllers' `config/manager/deployment.yaml`s. */
interface ManagerShape {
  terminationGracePeriodSeconds: number;
  recreate?: boolean;
  ports: { containerPort: number; name: string }[];
  readinessPort: string;
  readinessPath: string;
  cpuRequest: string;
  volumes: { name: string; mountPath: string }[];
  /** flux's base patch gives it `system-cluster-critical`. */
  critical: boolean;
  extraEnv?: { name: string; value: string }[];
  extraArgs?: string[];
}

const PROM = { containerPort: 8080, name: 'http-prom' };
const HEALTHZ = { containerPort: 9440, name: 'healthz' };
const TEMP = [{ name: 'temp', mountPath: '/tmp' }];
/** What most controllers' config/manager share: metrics and health ports, /readyz, 100m CPU, a /tmp volume. */
const STANDARD = {
  ports: [PROM, HEALTHZ],
  readinessPort: 'healthz',
  readinessPath: '/readyz',
  cpuRequest: '100m',
  volumes: TEMP,
};

const SHAPES: Record<FluxControllerName, ManagerShape> = {
  'source-controller': {
    terminationGracePeriodSeconds: 10,
    recreate: true,
    ports: [{ containerPort: 9090, name: 'http' }, PROM, HEALTHZ],
    readinessPort: 'http',
    readinessPath: '/',
    cpuRequest: '50m',
    volumes: [
      { name: 'data', mountPath: '/data' },
      { name: 'tmp', mountPath: '/tmp' },
    ],
    critical: true,
    extraEnv: [{ name: 'TUF_ROOT', value: '/tmp/.sigstore' }],
    extraArgs: ['--storage-path=/data'],
  },
  'kustomize-controller': {
    terminationGracePeriodSeconds: 60,
    ...STANDARD,
    critical: true,
  },
  'helm-controller': {
    terminationGracePeriodSeconds: 600,
    ...STANDARD,
    critical: true,
  },
  'notification-controller': {
    terminationGracePeriodSeconds: 10,
    ...STANDARD,
    ports: [{ containerPort: 9090, name: 'http' }, { containerPort: 9292, name: 'http-webhook' }, PROM, HEALTHZ],
    critical: false,
  },
  'image-reflector-controller': {
    terminationGracePeriodSeconds: 10,
    ...STANDARD,
    volumes: [
      { name: 'temp', mountPath: '/tmp' },
      { name: 'data', mountPath: '/data' },
    ],
    critical: false,
  },
  'image-automation-controller': {
    terminationGracePeriodSeconds: 10,
    ...STANDARD,
    critical: false,
  },
};

/** The notification-controller's address the other controllers send events to (empty without it, as flux does). */
function eventsAddr(o: ComponentsOptions): string {
  return o.components.includes('notification-controller')
    ? `http://notification-controller.${o.namespace}.svc.${o.clusterDomain}./`
    : '';
}

/** The manager's args after flux's base patch (`--events-addr` first) and install template's replacements. */
export function controllerArgs(o: ComponentsOptions, c: FluxControllerName): string[] {
  const common = [
    `--watch-all-namespaces=${o.watchAllNamespaces}`,
    `--log-level=${o.logLevel}`,
    '--log-encoding=json',
    '--enable-leader-election',
  ];
  if (c === 'notification-controller') return common;
  const args = [`--events-addr=${eventsAddr(o)}`, ...common, ...(SHAPES[c].extraArgs ?? [])];
  if (c === 'source-controller')
    args.push(`--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.${o.clusterDomain}.`);
  return args;
}

function deployment(o: ComponentsOptions, c: FluxControllerName): KubeObject {
  const s = SHAPES[c];
  const labels = fluxLabels(o, c);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(c, { ...labels, 'control-plane': 'controller' }, o.namespace),
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: c } },
      ...(s.recreate ? { strategy: { type: 'Recreate' } } : {}),
      template: {
        metadata: {
          annotations: { 'prometheus.io/port': '8080', 'prometheus.io/scrape': 'true' },
          labels: { app: c, ...labels },
        },
        spec: {
          containers: [
            {
              name: 'manager',
              image: controllerImage(o, c),
              imagePullPolicy: 'IfNotPresent',
              args: controllerArgs(o, c),
              env: [
                { name: 'RUNTIME_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                ...(s.extraEnv ?? []),
                {
                  name: 'GOMEMLIMIT',
                  valueFrom: { resourceFieldRef: { containerName: 'manager', resource: 'limits.memory' } },
                },
              ],
              livenessProbe: { httpGet: { path: '/healthz', port: 'healthz' } },
              ports: s.ports.map((p) => ({ ...p, protocol: 'TCP' })),
              readinessProbe: { httpGet: { path: s.readinessPath, port: s.readinessPort } },
              resources: {
                limits: { cpu: '1000m', memory: '1Gi' },
                requests: { cpu: s.cpuRequest, memory: '64Mi' },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: s.volumes,
            },
          ],
          ...(o.imagePullSecret ? { imagePullSecrets: [{ name: o.imagePullSecret }] } : {}),
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          ...(s.critical ? { priorityClassName: 'system-cluster-critical' } : {}),
          securityContext: { fsGroup: 1337 },
          serviceAccountName: c,
          terminationGracePeriodSeconds: s.terminationGracePeriodSeconds,
          ...(o.tolerationKeys.length > 0
            ? { tolerations: o.tolerationKeys.map((key) => ({ key, operator: 'Exists' })) }
            : {}),
          volumes: s.volumes.map((v) => ({ name: v.name, emptyDir: {} })),
        },
      },
    },
  };
}

function service(o: ComponentsOptions, c: FluxControllerName, name: string, targetPort: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name, { ...fluxLabels(o, c), 'control-plane': 'controller' }, o.namespace),
    spec: {
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort }],
      selector: { app: c },
      type: 'ClusterIP',
    },
  };
}

/** Every ServiceAccount flux's `rbac/controller.yaml` binds, whichever components are installed (as flux does). */
const BOUND_ACCOUNTS = [
  'kustomize-controller',
  'helm-controller',
  'source-controller',
  'notification-controller',
  'image-reflector-controller',
  'image-automation-controller',
  'source-watcher',
];
const FLUX_GROUPS = [
  'notification.toolkit.fluxcd.io',
  'source.toolkit.fluxcd.io',
  'source.extensions.fluxcd.io',
  'helm.toolkit.fluxcd.io',
  'image.toolkit.fluxcd.io',
  'kustomize.toolkit.fluxcd.io',
];

/** `manifests/rbac`, with the `-<namespace>` name suffix flux's roles kustomization adds to cluster-scoped names. */
function rbac(o: ComponentsOptions): KubeObject[] {
  const labels = fluxLabels(o);
  const sa = (name: string): Record<string, string> => ({ kind: 'ServiceAccount', name, namespace: o.namespace });
  const suffix = `-${o.namespace}`;
  const api = 'rbac.authorization.k8s.io/v1';
  return [
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: meta(`critical-pods${suffix}`, labels, o.namespace),
      spec: {
        hard: { pods: '1000' },
        scopeSelector: {
          matchExpressions: [
            { operator: 'In', scopeName: 'PriorityClass', values: ['system-node-critical', 'system-cluster-critical'] },
          ],
        },
      },
    },
    {
      apiVersion: api,
      kind: 'ClusterRole',
      metadata: meta(`crd-controller${suffix}`, labels),
      rules: [
        ...['source', 'kustomize', 'helm', 'notification', 'image'].map((g) => ({
          apiGroups: [`${g}.toolkit.fluxcd.io`],
          resources: ['*'],
          verbs: ['*'],
        })),
        { apiGroups: ['source.extensions.fluxcd.io'], resources: ['*'], verbs: ['*'] },
        {
          apiGroups: [''],
          resources: ['namespaces', 'secrets', 'configmaps', 'serviceaccounts'],
          verbs: ['get', 'list', 'watch'],
        },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
        {
          apiGroups: [''],
          resources: ['configmaps'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        { apiGroups: [''], resources: ['configmaps/status'], verbs: ['get', 'update', 'patch'] },
        {
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
        { nonResourceURLs: ['/livez/ping'], verbs: ['head'] },
      ],
    },
    {
      apiVersion: api,
      kind: 'ClusterRole',
      metadata: meta(`flux-edit${suffix}`, {
        ...labels,
        'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
        'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
      }),
      rules: [
        {
          apiGroups: FLUX_GROUPS,
          resources: ['*'],
          verbs: ['create', 'delete', 'deletecollection', 'patch', 'update'],
        },
      ],
    },
    {
      apiVersion: api,
      kind: 'ClusterRole',
      metadata: meta(`flux-view${suffix}`, {
        ...labels,
        'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
        'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
        'rbac.authorization.k8s.io/aggregate-to-view': 'true',
      }),
      rules: [{ apiGroups: FLUX_GROUPS, resources: ['*'], verbs: ['get', 'list', 'watch'] }],
    },
    {
      apiVersion: api,
      kind: 'ClusterRoleBinding',
      metadata: meta(`cluster-reconciler${suffix}`, labels),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [sa('kustomize-controller'), sa('helm-controller')],
    },
    {
      apiVersion: api,
      kind: 'ClusterRoleBinding',
      metadata: meta(`crd-controller${suffix}`, labels),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `crd-controller${suffix}` },
      subjects: BOUND_ACCOUNTS.map(sa),
    },
  ];
}

/** `manifests/policies`: all traffic inside the namespace and out, scraping on 8080, webhooks on 9292. */
function policies(o: ComponentsOptions): KubeObject[] {
  const labels = fluxLabels(o);
  const api = 'networking.k8s.io/v1';
  const fromAnyNamespace = (port: number): unknown => [
    { from: [{ namespaceSelector: {} }], ports: [{ port, protocol: 'TCP' }] },
  ];
  return [
    {
      apiVersion: api,
      kind: 'NetworkPolicy',
      metadata: meta('allow-egress', labels, o.namespace),
      spec: {
        egress: [{}],
        ingress: [{ from: [{ podSelector: {} }] }],
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
      },
    },
    {
      apiVersion: api,
      kind: 'NetworkPolicy',
      metadata: meta('allow-scraping', labels, o.namespace),
      spec: { ingress: fromAnyNamespace(8080), podSelector: {}, policyTypes: ['Ingress'] },
    },
    {
      apiVersion: api,
      kind: 'NetworkPolicy',
      metadata: meta('allow-webhooks', labels, o.namespace),
      spec: {
        ingress: fromAnyNamespace(9292),
        podSelector: { matchLabels: { app: 'notification-controller' } },
        policyTypes: ['Ingress'],
      },
    },
  ];
}

/** The CRDs of a component's kinds, with Flux's labels in place of Fluxdeck's (in-cluster Flux owns them). */
function componentCrds(
  o: ComponentsOptions,
  c: FluxControllerName,
  crds: readonly CustomResourceDefinition[],
): CustomResourceDefinition[] {
  const kinds: readonly string[] = FLUX_CONTROLLERS[c];
  return crds
    .filter((crd) => kinds.includes(crd.spec.names.kind))
    .map((crd): CustomResourceDefinition => {
      const labels = Object.fromEntries(
        Object.entries(crd.metadata.labels ?? {}).filter(([key]) => !(key in FLUXDECK_LABELS)),
      );
      return { ...crd, metadata: { ...crd.metadata, labels: { ...labels, ...fluxLabels(o, c) } } };
    });
}

/** kustomize's legacy resource order, which `flux install --export` output follows: namespaces and CRDs first. */
const KIND_ORDER = [
  'Namespace',
  'ResourceQuota',
  'CustomResourceDefinition',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Service',
  'Deployment',
];

function order(a: KubeObject, b: KubeObject): number {
  const rank = (o: KubeObject): number => {
    const i = KIND_ORDER.indexOf(o.kind);
    return i < 0 ? KIND_ORDER.length : i;
  };
  return (
    rank(a) - rank(b) || a.kind.localeCompare(b.kind) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '')
  );
}

/** Every object of gotk-components.yaml, in apply order. `crds` are Fluxdeck's (loadCrdManifests). */
export function generateComponents(o: ComponentsOptions, crds: readonly CustomResourceDefinition[]): KubeObject[] {
  const objects: KubeObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: meta(o.namespace, {
        ...fluxLabels(o),
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/warn-version': 'latest',
      }),
    },
    ...rbac(o),
    ...(o.networkPolicy ? policies(o) : []),
  ];
  for (const c of o.components) {
    const labels = fluxLabels(o, c);
    objects.push(...componentCrds(o, c, crds));
    objects.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(c, labels, o.namespace) });
    if (c === 'source-controller') objects.push(service(o, c, 'source-controller', 'http'));
    if (c === 'notification-controller')
      objects.push(service(o, c, 'notification-controller', 'http'), service(o, c, 'webhook-receiver', 'http-webhook'));
    objects.push(deployment(o, c));
  }
  return objects.sort(order);
}

/** gotk-components.yaml: flux's header, then one document per object. */
export function componentsManifest(o: ComponentsOptions, objects: readonly KubeObject[]): string {
  const header = [
    '# This manifest was generated by fluxdeck bootstrap (as flux install --export writes it). DO NOT EDIT.',
    `# Flux Version: ${o.version}`,
    `# Components: ${o.components.join(',')}`,
  ].join('\n');
  return `${header}\n${objects.map((obj) => `---\n${stringify(obj, { lineWidth: 0, aliasDuplicateObjects: false })}`).join('')}`;
}
