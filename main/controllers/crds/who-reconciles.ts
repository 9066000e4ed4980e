/**
 * Who reconciles a cluster, decided by live evidence: Flux's controllers renew their leader-election Leases
 * (`<controller>-leader-election` in their own namespace, controller-runtime's LeaseLock) every few seconds while they
 * run, and Fluxdeck instances renew `fluxdeck-controllers`. A Deployment can exist while no pod runs (scaled to zero,
 * crash-looping, a stand-in) and controllers can run out of cluster with no Deployment at all, so Deployments only
 * give the version to show, never the decision.
 */
import { FLUX_CONTROLLERS, type FluxControllerName } from './detect-flux.ts';

/** The parts of a coordination.k8s.io/v1 Lease the decision reads. */
export interface LeaseLike {
  metadata: { name?: string; namespace?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    renewTime?: string;
    acquireTime?: string;
  };
}

/** The Lease Fluxdeck instances elect their leader with. */
export const FLUXDECK_LEASE = 'fluxdeck-controllers';

/**
 * The engine a cluster's bootstrap chose, recorded as a label on the flux-system Namespace so that every Fluxdeck (on
 * any laptop) reads the same choice, and finds it with one label-selector list whatever the namespace is called: `in-cluster` (Flux's controllers deployed from gotk-components.yaml; Fluxdeck only
 * observes, even before their Leases appear or while they are down) or `desktop` (Fluxdeck reconciles while it runs).
 */
export const RECONCILER_LABEL = 'fluxdeck.io/reconciler';
export type ChosenReconciler = 'in-cluster' | 'desktop';

/** The choice recorded on a namespace, if any (an unknown value counts as none: live evidence decides). */
export function chosenReconciler(
  ns: { metadata: { labels?: Record<string, string> } } | undefined,
): ChosenReconciler | undefined {
  const value = ns?.metadata.labels?.[RECONCILER_LABEL];
  return value === 'in-cluster' || value === 'desktop' ? value : undefined;
}

/** The controllers whose work Fluxdeck would otherwise duplicate: their live Lease sends Fluxdeck to observe. */
const CORE: readonly FluxControllerName[] = ['source-controller', 'kustomize-controller', 'helm-controller'];

export interface LiveLease {
  controller: FluxControllerName;
  namespace: string;
  holder: string;
  /** When the Lease expires unless renewed (ms since the epoch). */
  expiresAt: number;
}

/** Which controller a Lease elects: `<controller>-leader-election`, or with the hash suffix of a label-selector shard. */
export function leaseController(name: string): FluxControllerName | undefined {
  return (Object.keys(FLUX_CONTROLLERS) as FluxControllerName[]).find(
    (c) => name === `${c}-leader-election` || name.startsWith(`${c}-leader-election-`),
  );
}

/** When a Lease runs out: its last renewal (or acquisition) plus its duration; undefined without a holder. */
export function leaseExpiry(lease: LeaseLike): number | undefined {
  const spec = lease.spec ?? {};
  if (!spec.holderIdentity) return undefined;
  const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '');
  if (Number.isNaN(renewed)) return undefined;
  return renewed + (spec.leaseDurationSeconds ?? 15) * 1000;
}

/** Flux controllers' Leases held and renewed within their duration, in any namespace. */
export function liveFluxLeases(leases: readonly LeaseLike[], now: number): LiveLease[] {
  const live: LiveLease[] = [];
  for (const l of leases) {
    const controller = leaseController(l.metadata.name ?? '');
    const expiresAt = leaseExpiry(l);
    if (!controller || expiresAt === undefined || expiresAt <= now) continue;
    live.push({ controller, namespace: l.metadata.namespace ?? '', holder: l.spec?.holderIdentity ?? '', expiresAt });
  }
  return live;
}

/** The engine reconciling a cluster, as the sidebar shows it. `both` is an error: two engines fight over objects. */
export type Reconciler = 'desktop' | 'flux' | 'none' | 'both';

export interface WhoReconciles {
  /** What this instance should do: step back and watch, or campaign for (or keep) the fluxdeck-controllers Lease. */
  action: 'observe' | 'campaign';
  reconciler: Reconciler;
  /** Flux's live core controllers (empty when Flux does not run). */
  flux: LiveLease[];
  /** The Fluxdeck instance holding a live fluxdeck-controllers Lease, if any. */
  fluxdeckHolder?: string;
  /** When to look again at the latest: a live Flux Lease running out (ms since the epoch). */
  recheckAt?: number;
  /** One line for the session status. */
  message: string;
}

/**
 * The decision. Flux's live Leases win: this instance observes (it never reconciles next to Flux). Another Fluxdeck
 * instance still renewing its Lease while Flux is live means two engines reconcile the same objects: `both`.
 */
export function whoReconciles(input: {
  leases: readonly LeaseLike[];
  now: number;
  identity: string;
  leaseNamespace: string;
  /** Flux's version from its Deployments' images, when known. */
  fluxVersion?: string;
  /** The bootstrap's choice (RECONCILER_LABEL), when the cluster has one. */
  chosen?: ChosenReconciler;
  /** The namespace the choice was read from, for the message. */
  chosenIn?: string;
}): WhoReconciles {
  const { leases, now, identity, leaseNamespace } = input;
  const flux = liveFluxLeases(leases, now).filter((l) => CORE.includes(l.controller));
  const fluxdeckHolder = liveHolder(leases, FLUXDECK_LEASE, leaseNamespace, now);
  const holder = fluxdeckHolder ? { fluxdeckHolder } : {};
  if (flux.length > 0) {
    const names = [...new Set(flux.map((l) => `${l.controller} in ${l.namespace}`))].join(', ');
    const version = input.fluxVersion ? `, ${input.fluxVersion}` : '';
    const recheckAt = Math.min(...flux.map((l) => l.expiresAt));
    if (fluxdeckHolder && fluxdeckHolder !== identity)
      return {
        action: 'observe',
        reconciler: 'both',
        flux,
        ...holder,
        recheckAt,
        message: `Flux's controllers (${names}${version}) and another Fluxdeck instance (${fluxdeckHolder}) both reconcile this cluster: stop one of them`,
      };
    return {
      action: 'observe',
      reconciler: 'flux',
      flux,
      ...holder,
      recheckAt,
      message: `Flux's own controllers run in this cluster (${names}${version}); Fluxdeck shows and controls, Flux reconciles`,
    };
  }
  // The cluster was handed to in-cluster Flux: reconciling here would fight it as soon as its pods start.
  if (input.chosen === 'in-cluster') return inClusterNotRunning(input, fluxdeckHolder);
  return {
    action: 'campaign',
    reconciler: fluxdeckHolder ? 'desktop' : 'none',
    flux,
    ...holder,
    message: fluxdeckHolder
      ? `Fluxdeck (${fluxdeckHolder === identity ? 'this instance' : fluxdeckHolder}) reconciles this cluster`
      : 'no engine reconciles this cluster yet',
  };
}

/** In-cluster Flux was chosen but none of its controllers renews a Lease: observe, and say so. */
function inClusterNotRunning(
  input: { identity: string; chosenIn?: string },
  fluxdeckHolder: string | undefined,
): WhoReconciles {
  return {
    action: 'observe',
    reconciler: fluxdeckHolder && fluxdeckHolder !== input.identity ? 'desktop' : 'none',
    flux: [],
    ...(fluxdeckHolder ? { fluxdeckHolder } : {}),
    message:
      `in-cluster Flux (not running): ${input.chosenIn ?? 'flux-system'} is set to be reconciled by Flux's own ` +
      `controllers (${RECONCILER_LABEL}: in-cluster) but none renews its Lease; Fluxdeck observes. Check ` +
      `the controllers' Deployments, or hand the cluster back with fluxdeck bootstrap git --mode desktop`,
  };
}

/** The holder of a named Lease while it is renewed within its duration. */
function liveHolder(leases: readonly LeaseLike[], name: string, namespace: string, now: number): string | undefined {
  const lease = leases.find((l) => l.metadata.name === name && l.metadata.namespace === namespace);
  const expiry = lease ? leaseExpiry(lease) : undefined;
  return expiry !== undefined && expiry > now ? lease?.spec?.holderIdentity : undefined;
}
