/**
 * Finds Flux's own controllers in a cluster, so the engine can switch to observe mode there: when Flux reconciles a
 * kind, Fluxdeck shows and controls it but does not reconcile it too.
 */
import type { FluxKindName } from '../../flux/kinds.ts';
import type { KubeObject } from '../../util/kube-object.ts';
import { type ChosenReconciler, chosenReconciler, RECONCILER_LABEL } from './who-reconciles.ts';

/** Flux's controllers and the kinds each reconciles. */
export const FLUX_CONTROLLERS = {
  'source-controller': ['GitRepository', 'HelmRepository', 'HelmChart', 'OCIRepository', 'Bucket'],
  'kustomize-controller': ['Kustomization'],
  'helm-controller': ['HelmRelease'],
  'notification-controller': ['Provider', 'Alert', 'Receiver'],
  'image-reflector-controller': ['ImageRepository', 'ImagePolicy'],
  'image-automation-controller': ['ImageUpdateAutomation'],
} as const satisfies Record<string, readonly FluxKindName[]>;

export type FluxControllerName = keyof typeof FLUX_CONTROLLERS;

const CONTROLLER_NAMES = Object.keys(FLUX_CONTROLLERS) as FluxControllerName[];

/** The controllers whose presence means Flux is doing the GitOps work in a cluster. */
const CORE_CONTROLLERS: readonly FluxControllerName[] = [
  'source-controller',
  'kustomize-controller',
  'helm-controller',
];

/** The parts of an apps/v1 Deployment that detection reads. */
export interface DeploymentLike extends KubeObject {
  spec?: {
    replicas?: number;
    template?: { spec?: { containers?: { name: string; image?: string }[] } };
  };
  status?: { readyReplicas?: number; availableReplicas?: number };
}

export interface FluxControllerDeployment {
  controller: FluxControllerName;
  namespace: string;
  name: string;
  /** `spec.replicas`; 0 means scaled down, so not reconciling. */
  replicas: number;
  readyReplicas: number;
  image?: string;
  /** The image tag, e.g. `v1.9.5`. */
  version?: string;
}

export interface FluxDetection {
  /** Flux controller Deployments found, scaled down ones included. */
  deployments: FluxControllerDeployment[];
  /** Kinds some Flux controller with replicas > 0 reconciles: Fluxdeck observes these and does not reconcile them. */
  reconciledKinds: FluxKindName[];
  /** Whether any of source-, kustomize- or helm-controller runs with replicas > 0. */
  fluxRunning: boolean;
}

/**
 * Whether a Deployment is one of Flux's controllers: named like one (or labelled with its component name), and
 * labelled `app.kubernetes.io/part-of: flux` (Flux's install manifests, bootstrap, its Helm chart) or running a
 * `.../fluxcd/<controller>` image (installs whose labels were changed). Other projects' `helm-controller`s, such as
 * `rancher/helm-controller`, are not Flux. Returns the controller, or undefined.
 */
export function fluxControllerOf(deployment: DeploymentLike): FluxControllerName | undefined {
  const name = deployment.metadata.name ?? '';
  const labels = deployment.metadata.labels ?? {};
  const controller =
    CONTROLLER_NAMES.find((c) => c === name) ??
    CONTROLLER_NAMES.find((c) => c === labels['app.kubernetes.io/component']);
  if (controller === undefined) return undefined;
  if (labels['app.kubernetes.io/part-of'] === 'flux') return controller;
  const image = controllerImage(deployment, controller);
  return image && imageRepository(image).endsWith(`fluxcd/${controller}`) ? controller : undefined;
}

/** Summarises the Deployments of a cluster (any subset, any order) into what observe mode needs. */
export function detectFlux(deployments: readonly DeploymentLike[]): FluxDetection {
  const found: FluxControllerDeployment[] = [];
  for (const d of deployments) {
    const controller = fluxControllerOf(d);
    if (controller === undefined) continue;
    const image = controllerImage(d, controller);
    const version = image ? imageTag(image) : undefined;
    found.push({
      controller,
      namespace: d.metadata.namespace ?? '',
      name: d.metadata.name ?? '',
      replicas: d.spec?.replicas ?? 1,
      readyReplicas: d.status?.readyReplicas ?? 0,
      ...(image ? { image } : {}),
      ...(version ? { version } : {}),
    });
  }
  const running = found.filter((d) => d.replicas > 0);
  const reconciledKinds = [...new Set(running.flatMap((d) => FLUX_CONTROLLERS[d.controller]))];
  return {
    deployments: found,
    reconciledKinds,
    fluxRunning: running.some((d) => CORE_CONTROLLERS.includes(d.controller)),
  };
}

/** What detection needs from a Kubernetes client; main/kube's ClusterClient provides it. */
export interface DeploymentLister {
  list(
    type: { apiVersion: string; kind: string },
    opts: { namespace?: string; fieldSelector?: string; labelSelector?: string; signal?: AbortSignal },
  ): Promise<{ items: KubeObject[] }>;
}

/**
 * Looks for Flux's controller Deployments in every namespace (usually flux-system), by name, so a cluster with
 * thousands of Deployments costs six small list requests. Needs permission to list Deployments cluster-wide.
 */
export async function detectFluxControllers(
  client: DeploymentLister,
  opts: { signal?: AbortSignal } = {},
): Promise<FluxDetection> {
  try {
    const lists = await Promise.all(
      CONTROLLER_NAMES.map((name) =>
        client.list(
          { apiVersion: 'apps/v1', kind: 'Deployment' },
          { fieldSelector: `metadata.name=${name}`, signal: opts.signal },
        ),
      ),
    );
    return detectFlux(lists.flatMap((l) => l.items as DeploymentLike[]));
  } catch (err) {
    throw new Error(
      'could not look for Flux controllers (Deployments named source-controller, kustomize-controller, ...) in ' +
        'all namespaces; Fluxdeck needs permission to list Deployments cluster-wide to know whether Flux runs there',
      { cause: err },
    );
  }
}

/**
 * The engine the cluster's bootstrap chose (RECONCILER_LABEL on its flux-system namespace). Unreadable (no
 * permission to list namespaces) counts as no choice: the Leases alone decide, as before there was one.
 */
export async function bootstrapChoice(
  client: DeploymentLister,
  signal: AbortSignal,
): Promise<{ chosen?: ChosenReconciler; chosenIn?: string }> {
  const list = await client
    .list({ apiVersion: 'v1', kind: 'Namespace' }, { labelSelector: RECONCILER_LABEL, signal })
    .catch(() => undefined);
  // More than one namespace with a choice (two Flux installs): in-cluster wins, since reconciling would fight it.
  const namespaces = [...(list?.items ?? [])].sort(
    (a, b) => Number(chosenReconciler(b) === 'in-cluster') - Number(chosenReconciler(a) === 'in-cluster'),
  );
  const ns = namespaces.find((n) => chosenReconciler(n) !== undefined);
  const chosen = chosenReconciler(ns);
  return chosen && ns?.metadata.name ? { chosen, chosenIn: ns.metadata.name } : {};
}

function controllerImage(d: DeploymentLike, controller: FluxControllerName): string | undefined {
  const containers = d.spec?.template?.spec?.containers ?? [];
  const manager = containers.find((c) => c.image && imageRepository(c.image).split('/').pop() === controller);
  return (manager ?? containers[0])?.image;
}

/** `ghcr.io/fluxcd/source-controller:v1.9.5@sha256:...` → `ghcr.io/fluxcd/source-controller`. */
function imageRepository(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
}

function imageTag(image: string): string | undefined {
  const repo = imageRepository(image);
  const rest = (image.split('@')[0] ?? image).slice(repo.length);
  return rest.startsWith(':') ? rest.slice(1) : undefined;
}
