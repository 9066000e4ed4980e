import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { type CustomResourceDefinition, loadCrdManifests } from '../../../../main/controllers/crds/crd-manifests.ts';
import {
  componentsManifest,
  componentsOptions,
  generateComponents,
} from '../../../../main/controllers/crds/flux-components.ts';
import type { KubeObject } from '../../../../main/util/kube-object.ts';

// The generated gotk-components against what `flux install --export` of Flux v2.9.5 writes (fluxcd/flux2
// pkg/manifestgen/install + manifests/bases, rbac, policies): structure, options, and bad input.

let crds: CustomResourceDefinition[];
beforeAll(async () => {
  crds = await loadCrdManifests();
});

interface Container {
  name: string;
  image: string;
  args: string[];
  env: { name: string }[];
}
interface PodSpec {
  containers: Container[];
  imagePullSecrets?: { name: string }[];
  serviceAccountName: string;
  nodeSelector: Record<string, string>;
  priorityClassName?: string;
  tolerations?: { key: string; operator: string }[];
}
const podSpec = (d: KubeObject): PodSpec =>
  (d as unknown as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
const of = (objects: KubeObject[], kind: string): KubeObject[] => objects.filter((o) => o.kind === kind);
const names = (objects: KubeObject[], kind: string): string[] => of(objects, kind).map((o) => o.metadata.name ?? '');
const find = (objects: KubeObject[], kind: string, name: string): KubeObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

describe('generateComponents with flux’s defaults', () => {
  let objects: KubeObject[];
  beforeAll(() => {
    objects = generateComponents(componentsOptions({}), crds);
  });

  it('deploys the four default controllers with pinned images from ghcr.io/fluxcd', () => {
    expect(names(objects, 'Deployment')).toEqual([
      'helm-controller',
      'kustomize-controller',
      'notification-controller',
      'source-controller',
    ]);
    const images = of(objects, 'Deployment').map((d) => podSpec(d).containers[0]?.image);
    expect(images).toEqual([
      'ghcr.io/fluxcd/helm-controller:v1.6.4',
      'ghcr.io/fluxcd/kustomize-controller:v1.9.5',
      'ghcr.io/fluxcd/notification-controller:v1.9.4',
      'ghcr.io/fluxcd/source-controller:v1.9.5',
    ]);
  });

  it('labels everything as flux does, and the namespace with the pod-security warning', () => {
    for (const o of objects) {
      expect(o.metadata.labels).toMatchObject({
        'app.kubernetes.io/instance': 'flux-system',
        'app.kubernetes.io/part-of': 'flux',
        'app.kubernetes.io/version': 'v2.9.5',
      });
      expect(o.metadata.labels).not.toHaveProperty('app.kubernetes.io/managed-by');
    }
    const ns = find(objects, 'Namespace', 'flux-system');
    expect(ns.metadata.labels?.['pod-security.kubernetes.io/warn']).toBe('restricted');
    const d = find(objects, 'Deployment', 'source-controller');
    expect(d.metadata.labels).toMatchObject({
      'control-plane': 'controller',
      'app.kubernetes.io/component': 'source-controller',
    });
    expect(
      (d as unknown as { spec: { template: { metadata: { labels: object } } } }).spec.template.metadata.labels,
    ).toMatchObject({ app: 'source-controller', 'app.kubernetes.io/version': 'v2.9.5' });
    expect(objects[0]?.kind).toBe('Namespace');
  });

  it('gives each controller flux’s args', () => {
    const args = (name: string): string[] => podSpec(find(objects, 'Deployment', name)).containers[0]?.args ?? [];
    expect(args('source-controller')).toEqual([
      '--events-addr=http://notification-controller.flux-system.svc.cluster.local./',
      '--watch-all-namespaces=true',
      '--log-level=info',
      '--log-encoding=json',
      '--enable-leader-election',
      '--storage-path=/data',
      '--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.cluster.local.',
    ]);
    expect(args('kustomize-controller')).toEqual([
      '--events-addr=http://notification-controller.flux-system.svc.cluster.local./',
      '--watch-all-namespaces=true',
      '--log-level=info',
      '--log-encoding=json',
      '--enable-leader-election',
    ]);
    expect(args('notification-controller')).toEqual([
      '--watch-all-namespaces=true',
      '--log-level=info',
      '--log-encoding=json',
      '--enable-leader-election',
    ]);
    const spec = podSpec(find(objects, 'Deployment', 'kustomize-controller'));
    expect(spec.serviceAccountName).toBe('kustomize-controller');
    expect(spec.priorityClassName).toBe('system-cluster-critical');
    expect(spec.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(spec.containers[0]?.env.map((e) => e.name)).toEqual(['RUNTIME_NAMESPACE', 'GOMEMLIMIT']);
    expect(podSpec(find(objects, 'Deployment', 'notification-controller')).priorityClassName).toBeUndefined();
  });

  it('carries the RBAC, accounts, services and network policies of flux’s install', () => {
    expect(names(objects, 'ClusterRole')).toEqual([
      'crd-controller-flux-system',
      'flux-edit-flux-system',
      'flux-view-flux-system',
    ]);
    expect(names(objects, 'ClusterRoleBinding')).toEqual([
      'cluster-reconciler-flux-system',
      'crd-controller-flux-system',
    ]);
    const reconciler = find(objects, 'ClusterRoleBinding', 'cluster-reconciler-flux-system') as unknown as {
      roleRef: { name: string };
      subjects: { name: string; namespace: string }[];
    };
    expect(reconciler.roleRef.name).toBe('cluster-admin');
    expect(reconciler.subjects.map((s) => s.name)).toEqual(['kustomize-controller', 'helm-controller']);
    expect(find(objects, 'ClusterRole', 'flux-view-flux-system').metadata.labels).toMatchObject({
      'rbac.authorization.k8s.io/aggregate-to-view': 'true',
    });
    expect(names(objects, 'ServiceAccount')).toEqual([
      'helm-controller',
      'kustomize-controller',
      'notification-controller',
      'source-controller',
    ]);
    expect(names(objects, 'Service')).toEqual(['notification-controller', 'source-controller', 'webhook-receiver']);
    expect(names(objects, 'NetworkPolicy')).toEqual(['allow-egress', 'allow-scraping', 'allow-webhooks']);
    expect(names(objects, 'ResourceQuota')).toEqual(['critical-pods-flux-system']);
  });

  it('includes the CRDs Fluxdeck ships for the chosen controllers only, relabelled as Flux’s', () => {
    const crdNames = names(objects, 'CustomResourceDefinition');
    expect(crdNames).toContain('gitrepositories.source.toolkit.fluxcd.io');
    expect(crdNames).toContain('kustomizations.kustomize.toolkit.fluxcd.io');
    expect(crdNames).toContain('helmreleases.helm.toolkit.fluxcd.io');
    expect(crdNames).toContain('alerts.notification.toolkit.fluxcd.io');
    expect(crdNames).not.toContain('imagepolicies.image.toolkit.fluxcd.io');
    const git = find(objects, 'CustomResourceDefinition', 'gitrepositories.source.toolkit.fluxcd.io');
    const shipped = crds.find((c) => c.metadata.name === 'gitrepositories.source.toolkit.fluxcd.io');
    expect(git.spec).toEqual(shipped?.spec);
    expect(git.metadata.labels?.['app.kubernetes.io/component']).toBe('source-controller');
  });

  it('serialises to a deterministic YAML stream that parses back to the same objects', () => {
    const o = componentsOptions({});
    const text = componentsManifest(o, objects);
    expect(text).toMatch(/^# This manifest was generated by fluxdeck bootstrap.*\n# Flux Version: v2\.9\.5\n/);
    expect(componentsManifest(o, generateComponents(o, crds))).toBe(text);
    const back = parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
    expect(back).toEqual(objects);
    expect(text).not.toMatch(/[&*]columns/);
  });
});

describe('generateComponents options', () => {
  it('adds the extra components, with their CRDs', () => {
    const o = componentsOptions({ componentsExtra: 'image-reflector-controller,image-automation-controller' });
    const objects = generateComponents(o, crds);
    expect(names(objects, 'Deployment')).toContain('image-automation-controller');
    expect(names(objects, 'CustomResourceDefinition')).toContain('imagepolicies.image.toolkit.fluxcd.io');
    expect(o.components).toEqual([
      'source-controller',
      'kustomize-controller',
      'helm-controller',
      'notification-controller',
      'image-reflector-controller',
      'image-automation-controller',
    ]);
  });

  it('leaves out what --components does not choose, and events-addr without notification-controller', () => {
    const o = componentsOptions({ components: ['source-controller', 'kustomize-controller'] });
    const objects = generateComponents(o, crds);
    expect(names(objects, 'Deployment')).toEqual(['kustomize-controller', 'source-controller']);
    expect(names(objects, 'Service')).toEqual(['source-controller']);
    expect(names(objects, 'CustomResourceDefinition')).not.toContain('helmreleases.helm.toolkit.fluxcd.io');
    expect(podSpec(find(objects, 'Deployment', 'kustomize-controller')).containers[0]?.args[0]).toBe('--events-addr=');
  });

  it('takes images from an air-gapped registry, with a pull secret and tolerations', () => {
    const o = componentsOptions({
      registry: 'registry.local:5000/mirror/fluxcd/',
      imagePullSecret: 'regcred',
      tolerationKeys: 'dedicated,infra',
    });
    for (const d of of(generateComponents(o, crds), 'Deployment')) {
      const spec = podSpec(d);
      expect(spec.containers[0]?.image).toMatch(
        new RegExp(`^registry\\.local:5000/mirror/fluxcd/${d.metadata.name ?? ''}:v\\d+\\.\\d+\\.\\d+$`),
      );
      expect(spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
      expect(spec.tolerations).toEqual([
        { key: 'dedicated', operator: 'Exists' },
        { key: 'infra', operator: 'Exists' },
      ]);
    }
  });

  it('writes another namespace and cluster domain everywhere flux does', () => {
    const o = componentsOptions({ namespace: 'gitops', clusterDomain: 'corp.example', networkPolicy: false });
    const objects = generateComponents(o, crds);
    expect(of(objects, 'NetworkPolicy')).toEqual([]);
    expect(names(objects, 'Namespace')).toEqual(['gitops']);
    for (const obj of objects.filter((x) => x.metadata.namespace !== undefined))
      expect(obj.metadata.namespace).toBe('gitops');
    const binding = find(objects, 'ClusterRoleBinding', 'crd-controller-gitops') as unknown as {
      roleRef: { name: string };
      subjects: { namespace: string }[];
    };
    expect(binding.roleRef.name).toBe('crd-controller-gitops');
    expect(new Set(binding.subjects.map((s) => s.namespace))).toEqual(new Set(['gitops']));
    const args = podSpec(find(objects, 'Deployment', 'source-controller')).containers[0]?.args ?? [];
    expect(args).toContain('--events-addr=http://notification-controller.gitops.svc.corp.example./');
    expect(args).toContain('--storage-adv-addr=source-controller.$(RUNTIME_NAMESPACE).svc.corp.example.');
  });
});

describe('componentsOptions refuses bad input', () => {
  it.each([
    [{ components: 'source-controller,kustomize-controller,flagger' }, /--components: unknown component 'flagger'/],
    [{ componentsExtra: 'helm-controller' }, /--components-extra: unknown component 'helm-controller'/],
    [{ componentsExtra: 'source-watcher' }, /source-watcher is not available/],
    [{ components: 'source-controller' }, /kustomize-controller is required/],
    [{ registry: 'https://ghcr.io/fluxcd' }, /--registry https:\/\/ghcr\.io\/fluxcd: not an image repository prefix/],
    [{ registry: 'ghcr.io/fluxcd:v1' }, /--registry .*: not an image repository prefix/],
    [{ registry: 'ghcr.io/FluxCD' }, /--registry .*: not an image repository prefix/],
    [{ version: 'v2.3.0' }, /--version v2\.3\.0: Fluxdeck ships the CRDs of Flux v2\.9\.5/],
    [{ imagePullSecret: 'Bad_Name' }, /--image-pull-secret Bad_Name/],
    [{ namespace: 'Flux System' }, /--namespace Flux System/],
    [{ clusterDomain: 'cluster local' }, /--cluster-domain/],
  ])('%j', (input, message) => {
    expect(() => componentsOptions(input)).toThrow(message);
  });

  it('accepts the version with or without its v, and latest', () => {
    expect(componentsOptions({ version: '2.9.5' }).version).toBe('v2.9.5');
    expect(componentsOptions({ version: 'latest' }).version).toBe('v2.9.5');
  });
});
