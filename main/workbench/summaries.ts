/**
 * Pure translations from what the engine holds (Kubernetes objects, kubeconfig contexts, session status) into the
 * contract's summaries. Nothing here talks to a cluster; fluxdeck-port.ts feeds it from the watch caches.
 */
import type {
  AuthHealth as ContractAuthHealth,
  ClusterInfo,
  Condition,
  FluxObjectData,
  KubeEvent,
  Workload,
} from '../contract/index.ts';
import type { ContextInfo } from '../engine/cluster-registry.ts';
import { helmChartName, HelmOriginLabel } from '../flux/helm.ts';
import { computeStatus } from '../kube/kstatus.ts';
import { redactSecret } from '../kube/secret-redaction.ts';
import { groupOf, type KubeObject, type ObjectRef, parseInventoryId } from '../util/kube-object.ts';
import { displayUrl, scrubText } from '../util/redact.ts';

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function conditionsOf(status: Json): Condition[] {
  const list = Array.isArray(status.conditions) ? (status.conditions as unknown[]) : [];
  return list.flatMap((c) => {
    const j = obj(c);
    const type = str(j.type);
    const s = str(j.status);
    if (!type || (s !== 'True' && s !== 'False' && s !== 'Unknown')) return [];
    return [
      {
        type,
        status: s,
        ...(str(j.reason) !== undefined && { reason: str(j.reason) }),
        ...(str(j.message) !== undefined && { message: str(j.message) }),
        ...(str(j.lastTransitionTime) !== undefined && { lastTransitionTime: str(j.lastTransitionTime) }),
        ...(num(j.observedGeneration) !== undefined && { observedGeneration: num(j.observedGeneration) }),
      },
    ];
  });
}

/**
 * The source a Flux object reads: `spec.sourceRef`, a HelmRelease's `chartRef`, or for a HelmRelease with a chart
 * template the HelmChart helm-controller makes from it (`<namespace>-<name>` in the template source's namespace), so
 * the graph runs HelmRepository → HelmChart → HelmRelease as the artifacts flow.
 */
function sourceRefOf(o: KubeObject, spec: Json, namespace: string): FluxObjectData['sourceRef'] {
  const kind = o.kind;
  const template = obj(obj(obj(spec.chart).spec).sourceRef);
  if (kind === 'HelmRelease' && spec.chartRef === undefined && str(template.name)) {
    const name = helmChartName(o);
    return {
      group: 'source.toolkit.fluxcd.io',
      kind: 'HelmChart',
      namespace: str(template.namespace) ?? namespace,
      name,
    };
  }
  // An ImagePolicy reads its ImageRepository's tags: the graph runs ImageRepository → ImagePolicy.
  const imageRepo = kind === 'ImagePolicy' ? { kind: 'ImageRepository', ...obj(spec.imageRepositoryRef) } : undefined;
  const ref = obj(spec.sourceRef ?? spec.chartRef ?? imageRepo);
  const refKind = str(ref.kind);
  const name = str(ref.name);
  if (!refKind || !name) return undefined;
  const group =
    kind === 'ImagePolicy'
      ? 'image.toolkit.fluxcd.io'
      : refKind === 'HelmChart' || refKind.endsWith('Repository') || refKind === 'Bucket'
        ? 'source.toolkit.fluxcd.io'
        : (str(ref.apiVersion)?.split('/')[0] ?? '');
  return { group, kind: refKind, namespace: str(ref.namespace) ?? namespace, name };
}

function inventoryOf(status: Json): ObjectRef[] | undefined {
  const inv = obj(status.inventory);
  if (!Array.isArray(inv.entries)) return undefined;
  return (inv.entries as unknown[]).flatMap((e) => {
    const ref = parseInventoryId(str(obj(e).id) ?? '');
    return ref ? [ref] : [];
  });
}

const strings = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(v)).filter((e): e is [string, string] => typeof e[1] === 'string'));

/** An automation's `spec.policySelector`, typed for the contract (entries of the wrong type dropped). */
function policySelectorOf(spec: Json): NonNullable<FluxObjectData['policySelector']> {
  const sel = obj(spec.policySelector);
  const expressions = Array.isArray(sel.matchExpressions) ? (sel.matchExpressions as unknown[]) : [];
  return {
    matchLabels: strings(sel.matchLabels),
    matchExpressions: expressions.map((e) => {
      const x = obj(e);
      const values = Array.isArray(x.values) ? x.values.filter((v): v is string => typeof v === 'string') : undefined;
      return { key: str(x.key) ?? '', operator: str(x.operator) ?? '', ...(values && { values }) };
    }),
  };
}

/** A Flux object as the contract summarises it. Secrets never appear: only spec and status fields are read. */
export function fluxSummary(cluster: string, o: KubeObject): FluxObjectData | undefined {
  const { uid, name, namespace = '', resourceVersion = '' } = o.metadata;
  if (!uid || !name) return undefined;
  const spec = obj(o.spec);
  const status = obj(o.status);
  const artifact = obj(status.artifact);
  const sourceRef = sourceRefOf(o, spec, namespace);
  const inventory = inventoryOf(status);
  const slash = o.apiVersion.indexOf('/');
  const pick = (k: string, v: string | undefined): Record<string, string> => (v === undefined ? {} : { [k]: v });
  return {
    uid,
    cluster,
    group: groupOf(o.apiVersion),
    version: slash < 0 ? o.apiVersion : o.apiVersion.slice(slash + 1),
    kind: o.kind,
    namespace,
    name,
    resourceVersion,
    generation: o.metadata.generation ?? 0,
    ...(num(status.observedGeneration) !== undefined && { observedGeneration: num(status.observedGeneration) }),
    suspended: spec.suspend === true,
    conditions: conditionsOf(status),
    ...(sourceRef && { sourceRef }),
    ...(o.kind === 'ImageUpdateAutomation' &&
      spec.policySelector !== undefined &&
      spec.policySelector !== null && { policySelector: policySelectorOf(spec) }),
    ...(o.kind === 'ImagePolicy' && { labels: strings(o.metadata.labels) }),
    dependsOn: (Array.isArray(spec.dependsOn) ? (spec.dependsOn as unknown[]) : []).flatMap((d) => {
      const n = str(obj(d).name);
      return n ? [{ namespace: str(obj(d).namespace) ?? namespace, name: n }] : [];
    }),
    ...(inventory && { inventory }),
    revision: {
      ...pick('artifact', str(artifact.revision)),
      ...pick('lastApplied', str(status.lastAppliedRevision)),
      ...pick('lastAttempted', str(status.lastAttemptedRevision)),
    },
    ...pick('interval', str(spec.interval)),
    ...pick('url', str(spec.url) ?? bucketUrl(spec)),
    ...pick('path', str(spec.path)),
    ...pick('lastHandledReconcileAt', str(status.lastHandledReconcileAt)),
    ...pick('createdAt', o.metadata.creationTimestamp),
  };
}

/**
 * Where a Bucket reads from, as the path-style address its client lists (`http(s)://endpoint/bucket/prefix`), so the
 * panel shows a Bucket's origin the way it shows a repository's URL.
 */
function bucketUrl(spec: Record<string, unknown>): string | undefined {
  const endpoint = str(spec.endpoint);
  const bucket = str(spec.bucketName);
  if (!endpoint || !bucket) return undefined;
  const scheme = /^[a-z]+:\/\//i.test(endpoint) ? '' : spec.insecure === true ? 'http://' : 'https://';
  const prefix = str(spec.prefix);
  return `${scheme}${endpoint.replace(/\/+$/, '')}/${bucket}${prefix ? `/${prefix.replace(/^\/+/, '')}` : ''}`;
}

/** Replicas wanted and ready, for the kinds that have them. */
function replicasOf(o: KubeObject): Workload['replicas'] {
  const spec = obj(o.spec);
  const status = obj(o.status);
  if (o.kind === 'DaemonSet')
    return { desired: num(status.desiredNumberScheduled) ?? 0, ready: num(status.numberReady) ?? 0 };
  if (o.kind === 'Deployment' || o.kind === 'StatefulSet' || o.kind === 'ReplicaSet')
    return { desired: num(spec.replicas) ?? 1, ready: num(status.readyReplicas) ?? 0 };
  return undefined;
}

/** A workload with its kstatus health (the rules Flux's health checks use). */
export function workloadSummary(cluster: string, o: KubeObject, now = Date.now()): Workload | undefined {
  const { uid, name, namespace = '', resourceVersion = '' } = o.metadata;
  if (!uid || !name) return undefined;
  const health = computeStatus(o, now);
  const replicas = replicasOf(o);
  const labels = o.metadata.labels ?? {};
  const hrName = labels[HelmOriginLabel.Name];
  const hrNamespace = labels[HelmOriginLabel.Namespace];
  return {
    uid,
    cluster,
    group: groupOf(o.apiVersion),
    kind: o.kind,
    namespace,
    name,
    resourceVersion,
    health: health.status,
    message: health.message,
    ...(replicas && { replicas }),
    ...(hrName && hrNamespace && { helmRelease: { namespace: hrNamespace, name: hrName } }),
  };
}

const AUTH_METHODS: Record<string, ContractAuthHealth['method']> = {
  'client-certificate': 'client-certificate',
  token: 'token',
  'token-file': 'token',
  basic: 'basic',
  exec: 'exec',
  'auth-provider': 'oidc',
  none: 'none',
};

/** Auth health in the contract's words: what failed, mapped from the client's reason, and the hint. */
function authOf(ctx: ContextInfo): ContractAuthHealth {
  const method = AUTH_METHODS[ctx.authMethod] ?? 'unknown';
  const h = ctx.authHealth;
  if (!h) return { method, status: 'unknown' };
  const base = { method, ...(h.lastSuccess !== undefined && { lastSuccessAt: h.lastSuccess }) };
  if (h.state !== 'failing') return { ...base, status: h.state };
  const reason = h.lastError?.reason ?? '';
  const hint = h.lastError?.hint ?? h.lastError?.message;
  const status = /plugin|notfound|enoent/i.test(reason)
    ? 'missing-plugin'
    : /expired/i.test(reason)
      ? 'expired'
      : 'failing';
  return { ...base, status, ...(hint !== undefined && { hint }) };
}

function connectionState(s: ContextInfo['session'], connectError: string | undefined): ClusterInfo['state'] {
  if (!s) return connectError ? 'error' : 'disconnected';
  if (s.state === 'connected' || s.state === 'connecting') return s.state;
  return s.state === 'unreachable' ? 'error' : 'disconnected';
}

function modeOf(role: string | undefined): ClusterInfo['mode'] {
  if (role === 'reconciling' || role === 'paused') return 'reconciling';
  return role === 'observing' || role === 'standby' ? 'observing' : undefined;
}

/** What the sidebar shows in red or amber for a context: its connection error, missing CRDs, or two engines. */
function clusterError(
  s: ContextInfo['session'],
  o: { state: ClusterInfo['state']; engine: ClusterInfo['engine']; connectError: string | undefined },
): string | undefined {
  if (o.state === 'error') return s?.message ?? o.connectError;
  if (s?.role === 'no-flux-crds')
    return 'The Flux CRDs are not installed in this cluster: run `fluxdeck install` (or `flux install`) to install them.';
  return o.engine?.kind === 'both' ? s?.message : undefined;
}

/** A kubeconfig context and Fluxdeck's connection to it. `connectError` is the last failed connect, if any. */
export function clusterSummary(ctx: ContextInfo, current: string | undefined, connectError?: string): ClusterInfo {
  const s = ctx.session;
  const state = connectionState(s, connectError);
  const mode = modeOf(s?.role);
  const engine = engineOf(s?.reconciler, s?.reconcilerVersion);
  const error = clusterError(s, { state, engine, connectError });
  // Why a connected context only watches; an error above already says it for `both`.
  const observingWhy = mode === 'observing' && error === undefined && s?.message ? scrubText(s.message) : undefined;
  return {
    name: ctx.name,
    server: displayUrl(ctx.server),
    current: ctx.name === current,
    defaultNamespace: ctx.namespace,
    state,
    auth: authOf(ctx),
    // Connection errors quote the server URL and sometimes a plugin's output: no credentials in either.
    ...(error !== undefined && { error: scrubText(error) }),
    ...(mode && { mode }),
    ...(engine && { engine }),
    ...(observingWhy !== undefined && { observingWhy: observingWhy.slice(0, 500) }),
  };
}

const ENGINES = ['desktop', 'flux', 'none', 'both'] as const;

/** The session's reconciler (set by the Flux plugin from live Leases) in the contract's words. */
function engineOf(reconciler: string | undefined, version: string | undefined): ClusterInfo['engine'] {
  const kind = ENGINES.find((e) => e === reconciler);
  if (!kind) return undefined;
  return { kind, ...(kind === 'flux' && version ? { version } : {}) };
}

/** A core/v1 Event as the timeline shows it. */
export function eventSummary(e: KubeObject): KubeEvent {
  const j = e as unknown as Json;
  const source = str(j.reportingComponent) || str(obj(j.source).component);
  return {
    type: j.type === 'Warning' ? 'Warning' : 'Normal',
    reason: str(j.reason) ?? '',
    message: str(j.message) ?? '',
    count: num(j.count) ?? num(obj(j.series).count) ?? 1,
    ...((str(j.firstTimestamp) ?? str(j.eventTime)) !== undefined && {
      firstSeen: str(j.firstTimestamp) ?? str(j.eventTime),
    }),
    ...((str(j.lastTimestamp) ?? str(j.eventTime)) !== undefined && {
      lastSeen: str(j.lastTimestamp) ?? str(j.eventTime),
    }),
    ...(source ? { source } : {}),
  };
}

/**
 * The object as the panel shows it: managedFields dropped (noise), and for Secrets every value replaced, so no
 * secret leaves main even though the user asked for the YAML.
 */
export function redactedForDisplay(o: KubeObject): KubeObject {
  const { managedFields: _managed, ...metadata } = o.metadata;
  return redactSecret(structuredClone({ ...o, metadata }));
}
