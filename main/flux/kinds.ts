/**
 * Group, version, kind and resource names of every Flux kind Fluxdeck knows, as Flux's CRDs declare them. The CRD
 * manifests in resources/crds declare the same names; a unit test keeps the two in step.
 */

export interface FluxKindDescriptor {
  group: string;
  /** The version Fluxdeck reads and writes (the CRD's storage version). */
  version: string;
  /** `group/version`. */
  apiVersion: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  /** Every Flux kind is namespaced. */
  namespaced: true;
  /** The CRD's name: `<plural>.<group>`. */
  crdName: string;
}

function describe(
  group: string,
  version: string,
  names: { kind: string; plural: string; shortNames?: string[] },
): FluxKindDescriptor {
  const { kind, plural, shortNames = [] } = names;
  return {
    group,
    version,
    apiVersion: `${group}/${version}`,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    shortNames,
    namespaced: true,
    crdName: `${plural}.${group}`,
  };
}

export const SOURCE_GROUP = 'source.toolkit.fluxcd.io';
export const KUSTOMIZE_GROUP = 'kustomize.toolkit.fluxcd.io';
export const HELM_GROUP = 'helm.toolkit.fluxcd.io';
export const IMAGE_GROUP = 'image.toolkit.fluxcd.io';
export const NOTIFICATION_GROUP = 'notification.toolkit.fluxcd.io';

export const fluxKinds = {
  GitRepository: describe(SOURCE_GROUP, 'v1', {
    kind: 'GitRepository',
    plural: 'gitrepositories',
    shortNames: ['gitrepo'],
  }),
  HelmRepository: describe(SOURCE_GROUP, 'v1', {
    kind: 'HelmRepository',
    plural: 'helmrepositories',
    shortNames: ['helmrepo'],
  }),
  HelmChart: describe(SOURCE_GROUP, 'v1', { kind: 'HelmChart', plural: 'helmcharts', shortNames: ['hc'] }),
  OCIRepository: describe(SOURCE_GROUP, 'v1', {
    kind: 'OCIRepository',
    plural: 'ocirepositories',
    shortNames: ['ocirepo'],
  }),
  Bucket: describe(SOURCE_GROUP, 'v1', { kind: 'Bucket', plural: 'buckets' }),
  Kustomization: describe(KUSTOMIZE_GROUP, 'v1', {
    kind: 'Kustomization',
    plural: 'kustomizations',
    shortNames: ['ks'],
  }),
  HelmRelease: describe(HELM_GROUP, 'v2', { kind: 'HelmRelease', plural: 'helmreleases', shortNames: ['hr'] }),
  ImageRepository: describe(IMAGE_GROUP, 'v1', {
    kind: 'ImageRepository',
    plural: 'imagerepositories',
    shortNames: ['imgrepo', 'imagerepo'],
  }),
  ImagePolicy: describe(IMAGE_GROUP, 'v1', {
    kind: 'ImagePolicy',
    plural: 'imagepolicies',
    shortNames: ['imgpol', 'imagepol'],
  }),
  ImageUpdateAutomation: describe(IMAGE_GROUP, 'v1', {
    kind: 'ImageUpdateAutomation',
    plural: 'imageupdateautomations',
    shortNames: ['iua', 'imgupd', 'imgauto'],
  }),
  Provider: describe(NOTIFICATION_GROUP, 'v1beta3', { kind: 'Provider', plural: 'providers' }),
  Alert: describe(NOTIFICATION_GROUP, 'v1beta3', { kind: 'Alert', plural: 'alerts' }),
  Receiver: describe(NOTIFICATION_GROUP, 'v1', { kind: 'Receiver', plural: 'receivers' }),
} as const;

export type FluxKindName = keyof typeof fluxKinds;

export const fluxKindList: readonly FluxKindDescriptor[] = Object.values(fluxKinds);

/** The descriptor of a Flux kind, optionally checked against the apiVersion's group (any version of it). */
export function fluxKind(kind: string, apiVersion?: string): FluxKindDescriptor | undefined {
  const d = fluxKindList.find((k) => k.kind === kind);
  if (d === undefined || apiVersion === undefined) return d;
  return apiVersion.split('/')[0] === d.group ? d : undefined;
}

/**
 * The REST path of a Flux resource: the collection across namespaces (no namespace), in a namespace, or one object,
 * optionally a subresource (`status`).
 */
export function fluxResourcePath(
  d: Pick<FluxKindDescriptor, 'group' | 'version' | 'plural'>,
  where: { namespace?: string; name?: string; subresource?: string } = {},
): string {
  let path = `/apis/${d.group}/${d.version}`;
  if (where.namespace !== undefined) path += `/namespaces/${encodeURIComponent(where.namespace)}`;
  path += `/${d.plural}`;
  if (where.name !== undefined) path += `/${encodeURIComponent(where.name)}`;
  if (where.name !== undefined && where.subresource !== undefined) path += `/${where.subresource}`;
  return path;
}
