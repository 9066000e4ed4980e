import { getCondition } from '../../flux/conditions.ts';
import { fluxKind, type FluxKindDescriptor } from '../../flux/kinds.ts';
import { Annotation, CLIENT_SIDE_APPLY_MANAGER, type Condition, type FluxStatus } from '../../flux/meta.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import type { KubeObject } from '../../util/kube-object.ts';

/**
 * The `flux` CLI's verbs, done the way the CLI does them (flux-behaviour.md §7) so they work the same whether
 * Fluxdeck's controllers or Flux's own in-cluster controllers do the reconciling: a reconcile request is the
 * `reconcile.fluxcd.io/requestedAt` annotation, the answer is `status.lastHandledReconcileAt` catching up with it.
 */

export interface FluxObjectRef {
  kind: FluxKindDescriptor;
  namespace: string;
  name: string;
}

type ObjectReference = { kind: string; name: string; namespace?: string };

type FluxLike = KubeObject & {
  spec?: { suspend?: boolean; sourceRef?: ObjectReference; chartRef?: ObjectReference; type?: string };
  /** HelmRelease: `<namespace>/<name>` of the HelmChart made from spec.chart. */
  status?: FluxStatus & { helmChart?: string };
};

export type Progress = (message: string) => void;

export interface RequestResult {
  object: FluxLike;
  ready: boolean;
  /** The Ready condition's message (e.g. `Applied revision: main@sha1:...`), or why it failed. */
  message: string;
  reason: string;
}

/** Raised when the object cannot be reconciled as asked (suspended, missing, timed out). */
export class FluxRequestError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FluxRequestError';
  }
}

const keyOf = (ref: FluxObjectRef): { apiVersion: string; kind: string; namespace: string; name: string } => ({
  apiVersion: ref.kind.apiVersion,
  kind: ref.kind.kind,
  namespace: ref.namespace,
  name: ref.name,
});

export const describeFluxRef = (ref: FluxObjectRef): string => `${ref.kind.kind} ${ref.namespace}/${ref.name}`;

/** The source an object reads from (Kustomization `sourceRef`), as a reference, if it is a Flux kind. */
export function sourceOf(obj: FluxLike): FluxObjectRef | undefined {
  const ref = obj.spec?.sourceRef ?? obj.spec?.chartRef ?? helmChartOf(obj.status?.helmChart);
  const kind = ref && fluxKind(ref.kind);
  if (!ref || !kind) return undefined;
  return { kind, namespace: ref.namespace ?? obj.metadata.namespace ?? '', name: ref.name };
}

/** A HelmRelease's generated HelmChart, from `status.helmChart` (`<namespace>/<name>`). */
function helmChartOf(nsName: string | undefined): ObjectReference | undefined {
  const [namespace, name] = nsName?.split('/') ?? [];
  return namespace && name ? { kind: 'HelmChart', namespace, name } : undefined;
}

/**
 * Annotates the object with a new `requestedAt` (RFC 3339 with nanoseconds, as the CLI writes) and waits until the
 * controller has handled it and Ready has settled. With `withSource`, the source is reconciled first.
 */
export async function requestReconcile(
  client: ClusterClient,
  ref: FluxObjectRef,
  opts: {
    withSource?: boolean;
    /** HelmRelease: also `reconcile.fluxcd.io/forceAt` with the same value, a one-off forced upgrade (`flux --force`). */
    force?: boolean;
    /** HelmRelease: also `reconcile.fluxcd.io/resetAt` with the same value, which resets the failure counters. */
    reset?: boolean;
    timeoutMs?: number;
    signal?: AbortSignal;
    progress?: Progress;
    pollMs?: number;
  } = {},
): Promise<RequestResult> {
  const progress = opts.progress ?? (() => undefined);
  const current = await getFlux(client, ref, opts.signal);
  if (current.spec?.suspend) throw new FluxRequestError(`${describeFluxRef(ref)} is suspended; resume it first`);
  // An OCI HelmRepository is a static object nobody reconciles (the flux CLI's `isStatic`): nothing to wait for.
  if (current.kind === 'HelmRepository' && current.spec?.type === 'oci')
    return { object: current, ready: true, message: 'reconciliation not supported by the object', reason: '' };
  if (opts.withSource) {
    const source = sourceOf(current);
    if (source) {
      const result = await requestReconcile(client, source, { ...opts, withSource: false, force: false, reset: false });
      if (!result.ready)
        throw new FluxRequestError(`${describeFluxRef(source)} reconciliation failed: ${result.message}`);
    }
  }
  const requestedAt = rfc3339Nano(new Date());
  progress(`annotating ${describeFluxRef(ref)}`);
  await client.patch(
    keyOf(ref),
    {
      metadata: {
        annotations: requestAnnotations(requestedAt, opts),
      },
    },
    'merge',
    {
      fieldManager: CLIENT_SIDE_APPLY_MANAGER,
      signal: opts.signal,
    },
  );
  progress(`waiting for ${describeFluxRef(ref)} reconciliation`);
  return waitForHandled(client, ref, requestedAt, opts);
}

/** requestedAt, and forceAt / resetAt with the same value when asked, as `flux reconcile hr --force / --reset`. */
function requestAnnotations(requestedAt: string, opts: { force?: boolean; reset?: boolean }): Record<string, string> {
  return {
    [Annotation.ReconcileRequestedAt]: requestedAt,
    ...(opts.force ? { [Annotation.ForceAt]: requestedAt } : {}),
    ...(opts.reset ? { [Annotation.ResetAt]: requestedAt } : {}),
  };
}

/** Polls until `lastHandledReconcileAt === requestedAt` and Ready is no longer Unknown for this generation. */
export async function waitForHandled(
  client: ClusterClient,
  ref: FluxObjectRef,
  requestedAt: string,
  opts: { timeoutMs?: number; signal?: AbortSignal; pollMs?: number } = {},
): Promise<RequestResult> {
  const deadline = Date.now() + (opts.timeoutMs ?? 5 * 60_000);
  for (;;) {
    const obj = await getFlux(client, ref, opts.signal);
    const settled = settledReady(obj, requestedAt);
    if (settled)
      return { object: obj, ready: settled.status === 'True', message: settled.message, reason: settled.reason };
    if (Date.now() > deadline) {
      const ready = getCondition(obj.status?.conditions ?? [], 'Ready');
      throw new FluxRequestError(
        `timed out waiting for ${describeFluxRef(ref)} to be reconciled${ready ? ` (Ready=${ready.status}: ${ready.message})` : ''}; is a controller running for this cluster?`,
      );
    }
    await sleep(opts.pollMs ?? 500, opts.signal);
  }
}

/** The Ready condition once the request was handled and it reflects the current generation; undefined while not. */
export function settledReady(obj: FluxLike, requestedAt: string): Condition | undefined {
  const status = obj.status;
  if (status?.lastHandledReconcileAt !== requestedAt) return undefined;
  const ready = getCondition(status.conditions ?? [], 'Ready');
  if (!ready || ready.status === 'Unknown') return undefined;
  if (
    status.observedGeneration !== undefined &&
    status.observedGeneration !== obj.metadata.generation &&
    ready.status === 'True'
  )
    return undefined;
  return ready;
}

/** `flux suspend`: `spec.suspend: true`, with the optional reason annotation. */
export async function setSuspended(
  client: ClusterClient,
  ref: FluxObjectRef,
  suspended: boolean,
  opts: { reason?: string; signal?: AbortSignal } = {},
): Promise<void> {
  const annotations = suspended
    ? opts.reason
      ? { [Annotation.SuspendReason]: opts.reason }
      : undefined
    : { [Annotation.SuspendReason]: null };
  await client.patch(
    keyOf(ref),
    { spec: { suspend: suspended }, ...(annotations ? { metadata: { annotations } } : {}) },
    'merge',
    {
      fieldManager: CLIENT_SIDE_APPLY_MANAGER,
      signal: opts.signal,
    },
  );
}

/** `flux resume`: unsuspend, then request a reconcile and wait for its result, as the CLI does. */
export async function resume(
  client: ClusterClient,
  ref: FluxObjectRef,
  opts: { timeoutMs?: number; signal?: AbortSignal; progress?: Progress; pollMs?: number } = {},
): Promise<RequestResult> {
  await setSuspended(client, ref, false, opts);
  opts.progress?.(`resumed ${describeFluxRef(ref)}`);
  return requestReconcile(client, ref, opts);
}

export async function getFlux(client: ClusterClient, ref: FluxObjectRef, signal?: AbortSignal): Promise<FluxLike> {
  const obj = await client.tryGet<FluxLike>(keyOf(ref), { signal });
  if (!obj) throw new FluxRequestError(`${describeFluxRef(ref)} not found`);
  return obj;
}

/** Go's `time.RFC3339Nano` (the CLI's annotation value format). */
export function rfc3339Nano(d: Date): string {
  const ns =
    `${String(d.getUTCMilliseconds()).padStart(3, '0')}${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`.replace(
      /0+$/,
      '',
    );
  return d.toISOString().replace(/\.\d{3}Z$/, ns ? `.${ns}Z` : 'Z');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
