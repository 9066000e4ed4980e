import type { KubeObject } from '../util/kube-object.ts';
import { describeRef, refOf } from '../util/kube-object.ts';
import { AuthHealthRegistry } from './auth-health.ts';
import { createAuthenticator } from './authenticator.ts';
import { ExecCredentialProvider } from './exec-credential.ts';
import { errorFromResponse, KubeError } from './kube-error.ts';
import {
  type Kubeconfig,
  kubeconfigFromYaml,
  loadKubeconfig,
  resolveContext,
  type ResolvedContext,
} from './kubeconfig.ts';
import { type ResourceInfo, RestMapper } from './rest-mapper.ts';
import { type RequestStats, type RestRequest, RestTransport } from './rest-transport.ts';
import { readWatchEvents, type WatchEvent } from './watch-stream.ts';

/** Names an object by type and name: what `get`, `patch` and `delete` take. Namespace defaults to the context's. */
export interface ObjectKey {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface TypeKey {
  apiVersion: string;
  kind: string;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  // JSON is valid YAML, and the apiserver answers 415 to `apply-patch+json` (test-control-plane.md §8.1).
  apply: 'application/apply-patch+yaml',
};

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface PatchOptions extends WriteOptions {
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  /** e.g. `status`. */
  subresource?: string;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  dryRun?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  signal?: AbortSignal;
}

export interface ListOptions {
  /** Omit for all namespaces of a namespaced kind. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Page size; pages are followed automatically. Default 500. */
  limit?: number;
  resourceVersion?: string;
  /** Only each object's metadata (PartialObjectMetadata): what a presence index needs, at a fraction of the bytes. */
  metadataOnly?: boolean;
  signal?: AbortSignal;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  /** Server-side timeout; the apiserver ends the watch after it (the cache restarts it). */
  timeoutSeconds?: number;
  /** Only each object's metadata (PartialObjectMetadata). */
  metadataOnly?: boolean;
  signal?: AbortSignal;
}

/** The Accept headers asking the apiserver for metadata only (meta.k8s.io/v1 PartialObjectMetadata[List]). */
const METADATA_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_ONE = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

export interface EventOptions {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** The controller name, e.g. `kustomize-controller`. */
  reportingController: string;
  action?: string;
  annotations?: Record<string, string>;
}

/** Who to act as: a service account (Kustomization `serviceAccountName`) or a user with groups. */
export type Impersonation =
  { serviceAccount: { namespace: string; name: string } } | { user: string; groups?: string[] };

/** Told of every object a write returned (the apiserver's answer, with its new resourceVersion). */
export type WriteListener = (written: KubeObject) => void;

/** Recently created Events, for counting repeats up rather than creating duplicates. */
type EventMemory = Map<string, { name: string; namespace: string; count: number; at: number }>;

/** What a client shares with its impersonating views. */
interface SharedState {
  events: EventMemory;
  writeListeners: Set<WriteListener>;
}

/** How long the same event on the same object is counted up instead of being created again (client-go does 10 min). */
const EVENT_CORRELATION_MS = 10 * 60_000;

/**
 * A JSON REST client for one kubeconfig context. Nothing talks to the cluster until the first request; `close()`
 * aborts every request and watch in flight and refuses new ones. Bodies go out as plain JSON, as given.
 */
export class ClusterClient {
  readonly context: string;
  /** The context's default namespace. */
  readonly namespace: string;
  readonly server: string;
  readonly mapper: RestMapper;
  readonly transport: RestTransport;
  readonly #shared: SharedState;

  constructor(transport: RestTransport, namespace: string, mapper?: RestMapper, shared?: SharedState) {
    this.transport = transport;
    this.context = transport.context;
    this.server = transport.server;
    this.namespace = namespace;
    this.mapper = mapper ?? new RestMapper(transport);
    this.#shared = shared ?? { events: new Map(), writeListeners: new Set() };
  }

  /** Listens to the objects that writes (not dry runs) return, through this client and its impersonating views. */
  onWrite(listener: WriteListener): () => void {
    this.#shared.writeListeners.add(listener);
    return () => this.#shared.writeListeners.delete(listener);
  }

  #wrote<T extends KubeObject>(written: T, opts: WriteOptions): T {
    if (!opts.dryRun) for (const l of this.#shared.writeListeners) l(written);
    return written;
  }

  get stats(): RequestStats {
    return this.transport.stats;
  }

  /** Aborted when the client is closed. */
  get signal(): AbortSignal {
    return this.transport.signal;
  }

  get closed(): boolean {
    return this.transport.closed;
  }

  /** Stops everything in flight for this context and refuses further requests. */
  close(): void {
    this.transport.close();
  }

  /** A view of the same cluster acting as someone else; shares connections and discovery, closes with this one. */
  impersonate(who: Impersonation): ClusterClient {
    const headers: Record<string, string | string[]> =
      'serviceAccount' in who
        ? { 'Impersonate-User': `system:serviceaccount:${who.serviceAccount.namespace}:${who.serviceAccount.name}` }
        : { 'Impersonate-User': who.user, ...(who.groups?.length ? { 'Impersonate-Group': who.groups } : {}) };
    return new ClusterClient(this.transport.withHeaders(headers), this.namespace, this.mapper, this.#shared);
  }

  /** The URL path of a resource (collection when `name` is absent) and its discovery record. */
  async pathFor(
    key: { apiVersion: string; kind: string; namespace?: string; name?: string },
    subresource?: string,
    allNamespaces = false,
  ): Promise<{ path: string; info: ResourceInfo }> {
    const info = await this.mapper.resolve(key.apiVersion, key.kind);
    return { path: resourcePath(info, key, allNamespaces ? '' : this.namespace, subresource), info };
  }

  async get<T extends KubeObject = KubeObject>(key: ObjectKey, opts: { signal?: AbortSignal } = {}): Promise<T> {
    const { path, info } = await this.pathFor(key);
    return this.#json<T>({ method: 'GET', path, signal: opts.signal }, this.#describe(key, info));
  }

  /** Like `get`, but undefined instead of a NotFound error. */
  async tryGet<T extends KubeObject = KubeObject>(
    key: ObjectKey,
    opts: { signal?: AbortSignal } = {},
  ): Promise<T | undefined> {
    try {
      return await this.get<T>(key, opts);
    } catch (err) {
      if (err instanceof KubeError && err.reason === 'NotFound') return undefined;
      throw err;
    }
  }

  /** Lists objects, following `continue` tokens until the end. */
  async list<T extends KubeObject = KubeObject>(type: TypeKey, opts: ListOptions = {}): Promise<KubeList<T>> {
    const { path } = await this.pathFor(
      { ...type, namespace: opts.namespace },
      undefined,
      opts.namespace === undefined,
    );
    const items: T[] = [];
    let cont: string | undefined;
    let last: KubeList<T> | undefined;
    do {
      last = await this.#json<KubeList<T>>(
        {
          method: 'GET',
          path,
          verb: 'LIST',
          signal: opts.signal,
          ...(opts.metadataOnly ? { accept: METADATA_LIST } : {}),
          query: {
            labelSelector: opts.labelSelector,
            fieldSelector: opts.fieldSelector,
            limit: opts.limit ?? 500,
            continue: cont,
            resourceVersion: cont ? undefined : opts.resourceVersion,
          },
        },
        `list ${type.kind}`,
      );
      // Items of a list carry no apiVersion/kind; put them back so every object is self-describing.
      for (const item of last.items) items.push({ ...item, apiVersion: type.apiVersion, kind: type.kind });
      cont = last.metadata.continue || undefined;
    } while (cont);
    return { ...last, items, metadata: { resourceVersion: last.metadata.resourceVersion } };
  }

  async create<T extends KubeObject = KubeObject>(obj: KubeObject, opts: WriteOptions = {}): Promise<T> {
    const { path, info } = await this.pathFor({ ...obj, namespace: obj.metadata.namespace, name: undefined });
    const created = await this.#json<T>(
      { method: 'POST', path, body: JSON.stringify(obj), signal: opts.signal, query: writeQuery(opts) },
      `create ${this.#describe(keyOf(obj), info)}`,
    );
    return this.#wrote(created, opts);
  }

  async replace<T extends KubeObject = KubeObject>(obj: KubeObject, opts: WriteOptions = {}): Promise<T> {
    const { path, info } = await this.pathFor(keyOf(obj));
    const replaced = await this.#json<T>(
      { method: 'PUT', path, body: JSON.stringify(obj), signal: opts.signal, query: writeQuery(opts) },
      `replace ${this.#describe(keyOf(obj), info)}`,
    );
    return this.#wrote(replaced, opts);
  }

  async patch<T extends KubeObject = KubeObject>(
    key: ObjectKey,
    patch: unknown,
    type: PatchType,
    opts: PatchOptions = {},
  ): Promise<T> {
    const { path, info } = await this.pathFor(key, opts.subresource);
    const body = typeof patch === 'string' ? patch : JSON.stringify(patch);
    const patched = await this.#json<T>(
      {
        method: 'PATCH',
        path,
        body,
        contentType: PATCH_CONTENT_TYPE[type],
        signal: opts.signal,
        verb: type === 'apply' ? 'APPLY' : 'PATCH',
        query: { ...writeQuery(opts), force: type === 'apply' && opts.force ? true : undefined },
      },
      `${type === 'apply' ? 'apply' : 'patch'} ${this.#describe(key, info)}${opts.subresource ? `/${opts.subresource}` : ''}`,
    );
    return this.#wrote(patched, opts);
  }

  /** Server-side apply of a whole object (it must not carry managedFields, which the caller strips). */
  apply<T extends KubeObject = KubeObject>(
    obj: KubeObject,
    opts: { fieldManager: string; force?: boolean; dryRun?: boolean; signal?: AbortSignal },
  ): Promise<T> {
    return this.patch<T>(keyOf(obj), obj, 'apply', opts);
  }

  /** Patches the status subresource (merge patch unless told otherwise). */
  patchStatus<T extends KubeObject = KubeObject>(
    key: ObjectKey,
    patch: unknown,
    opts: PatchOptions & { type?: PatchType } = {},
  ): Promise<T> {
    return this.patch<T>(key, patch, opts.type ?? 'merge', { ...opts, subresource: 'status' });
  }

  /** Deletes an object; throws NotFound if it is already gone. */
  async delete(key: ObjectKey, opts: DeleteOptions = {}): Promise<void> {
    const { path, info } = await this.pathFor(key);
    const body = {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: opts.propagationPolicy,
      gracePeriodSeconds: opts.gracePeriodSeconds,
      preconditions: opts.preconditions,
      dryRun: opts.dryRun ? ['All'] : undefined,
    };
    await this.#json(
      { method: 'DELETE', path, body: JSON.stringify(body), signal: opts.signal },
      `delete ${this.#describe(key, info)}`,
    );
  }

  /**
   * Streams watch events until the server ends the watch, the signal fires or the client closes. A 410 Gone (as an
   * HTTP status or an ERROR event) rejects with KubeError `Gone`, the cue to list again.
   */
  async watch<T extends KubeObject = KubeObject>(
    type: TypeKey,
    opts: WatchOptions,
    onEvent: (e: WatchEvent<T>) => void,
  ): Promise<void> {
    const { path } = await this.pathFor(
      { ...type, namespace: opts.namespace },
      undefined,
      opts.namespace === undefined,
    );
    const res = await this.transport.stream({
      method: 'GET',
      path,
      verb: 'WATCH',
      signal: opts.signal,
      ...(opts.metadataOnly ? { accept: METADATA_ONE } : {}),
      query: {
        watch: 1,
        allowWatchBookmarks: true,
        resourceVersion: opts.resourceVersion,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        timeoutSeconds: opts.timeoutSeconds,
      },
    });
    try {
      await readWatchEvents<T>(res.body, (e) => {
        if (e.type === 'ERROR') {
          const status = e.object as unknown as { code?: number };
          throw errorFromResponse(`watch ${type.kind}`, status.code ?? 500, JSON.stringify(e.object));
        }
        onEvent(e);
      });
    } catch (err) {
      res.body.destroy();
      if (err instanceof KubeError) throw err;
      if (opts.signal?.aborted || this.closed)
        throw new KubeError(`watch ${type.kind}: aborted`, { reason: 'Aborted', cause: err });
      throw new KubeError(`watch ${type.kind}: the stream broke`, { reason: 'Unreachable', cause: err });
    }
  }

  /**
   * Records a Kubernetes Event on an object, as controllers do (core/v1 Event, `reportingComponent` set). A repeat of
   * the same event within ten minutes increments `count` on the existing Event instead of creating another.
   */
  async createEvent(involved: KubeObject, ev: EventOptions): Promise<void> {
    const ref = refOf(involved);
    const namespace = ref.namespace || 'default';
    const key = JSON.stringify([involved.metadata.uid ?? describeRef(ref), ev.type, ev.reason, ev.message]);
    const now = new Date();
    const seen = this.#shared.events.get(key);
    if (seen && now.getTime() - seen.at < EVENT_CORRELATION_MS) {
      try {
        seen.count++;
        seen.at = now.getTime();
        await this.patch(
          { apiVersion: 'v1', kind: 'Event', namespace: seen.namespace, name: seen.name },
          { count: seen.count, lastTimestamp: now.toISOString() },
          'merge',
        );
        return;
      } catch (err) {
        if (!(err instanceof KubeError && err.reason === 'NotFound')) throw err;
      }
    }
    const name = `${ref.name}.${(BigInt(now.getTime()) * 1_000_000n).toString(16)}`;
    await this.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace, ...(ev.annotations ? { annotations: ev.annotations } : {}) },
      involvedObject: {
        apiVersion: involved.apiVersion,
        kind: involved.kind,
        name: ref.name,
        namespace: ref.namespace || undefined,
        uid: involved.metadata.uid,
        resourceVersion: involved.metadata.resourceVersion,
      },
      type: ev.type,
      reason: ev.reason,
      message: ev.message.slice(0, 1024),
      action: ev.action ?? ev.reason,
      source: { component: ev.reportingController },
      reportingComponent: ev.reportingController,
      reportingInstance: ev.reportingController,
      firstTimestamp: now.toISOString(),
      lastTimestamp: now.toISOString(),
      count: 1,
    });
    this.#shared.events.set(key, { name, namespace, count: 1, at: now.getTime() });
    if (this.#shared.events.size > 1000) {
      const oldest = this.#shared.events.keys().next();
      if (!oldest.done) this.#shared.events.delete(oldest.value);
    }
  }

  /** Sends a request and parses the JSON answer; non-2xx answers become KubeErrors that start with `what`. */
  async request<T>(req: RestRequest, what = `${req.method} ${req.path}`): Promise<T> {
    return this.#json<T>(req, what);
  }

  /** `Kind/namespace/name` (`Kind/name` for cluster-scoped kinds), with the namespace the request really used. */
  #describe(key: { kind: string; namespace?: string; name: string }, info: ResourceInfo): string {
    return describeRef({
      group: info.group,
      kind: key.kind,
      namespace: info.namespaced ? (key.namespace ?? this.namespace) : '',
      name: key.name,
    });
  }

  async #json<T>(req: RestRequest, what: string): Promise<T> {
    const res = await this.transport.request(req);
    if (res.status < 200 || res.status >= 300) throw errorFromResponse(what, res.status, res.body);
    return (res.body ? JSON.parse(res.body) : {}) as T;
  }
}

export function keyOf(obj: KubeObject): ObjectKey {
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    namespace: obj.metadata.namespace,
    name: obj.metadata.name ?? '',
  };
}

function writeQuery(opts: WriteOptions): Record<string, string | undefined> {
  return { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? 'All' : undefined };
}

/** Builds `/api/v1/namespaces/ns/configmaps/name[/sub]` or `/apis/group/version/...`. */
export function resourcePath(
  info: ResourceInfo,
  key: { namespace?: string; name?: string },
  defaultNamespace: string,
  subresource?: string,
): string {
  const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const ns = info.namespaced ? (key.namespace ?? defaultNamespace) : '';
  let path = ns ? `${base}/namespaces/${encodeURIComponent(ns)}/${info.resource}` : `${base}/${info.resource}`;
  if (key.name !== undefined) {
    if (key.name === '') throw new KubeError(`${info.kind} without a name`, { reason: 'Invalid' });
    path += `/${encodeURIComponent(key.name)}`;
    if (subresource) path += `/${subresource}`;
  }
  return path;
}

export interface ClusterClientOptions {
  health?: AuthHealthRegistry;
  /** Shared across clients so exec plugins run once per user, not once per cluster client. */
  execCredentials?: ExecCredentialProvider;
  maxSockets?: number;
  userAgent?: string;
  /** For kubeconfigs from Secrets: no exec plugins, no local files. */
  untrusted?: boolean;
}

const sharedExec = new ExecCredentialProvider();
export const defaultAuthHealth = new AuthHealthRegistry();

/** A client for a context already resolved from a kubeconfig. Synchronous: no I/O happens until the first request. */
export function createClusterClient(ctx: ResolvedContext, opts: ClusterClientOptions = {}): ClusterClient {
  const authenticator = createAuthenticator(ctx, {
    exec: opts.execCredentials ?? sharedExec,
    untrusted: opts.untrusted,
  });
  const health = opts.health ?? defaultAuthHealth;
  health.register(ctx.name, authenticator.method);
  if (ctx.cluster.proxyUrl)
    throw new KubeError(
      `context "${ctx.name}" uses proxy-url ${ctx.cluster.proxyUrl}, which Fluxdeck does not support yet`,
      {
        reason: 'Unreachable',
        hint: 'reach the cluster without the proxy (VPN, port-forward) or remove proxy-url',
      },
    );
  const transport = new RestTransport({
    context: ctx.name,
    server: ctx.cluster.server,
    authenticator,
    health,
    maxSockets: opts.maxSockets,
    compression: !ctx.cluster.disableCompression,
    userAgent: opts.userAgent,
  });
  return new ClusterClient(transport, ctx.namespace);
}

/** Opens a context of the user's kubeconfigs (`$KUBECONFIG` or `~/.kube/config` unless `kubeconfig` is given). */
export async function openCluster(
  context?: string,
  opts: ClusterClientOptions & { kubeconfig?: Kubeconfig } = {},
): Promise<ClusterClient> {
  const config = opts.kubeconfig ?? (await loadKubeconfig()).config;
  return createClusterClient(resolveContext(config, context), opts);
}

/**
 * A client from kubeconfig YAML held in memory, e.g. a Kustomization's `spec.kubeConfig.secretRef`. Like Flux, it
 * refuses exec plugins and local files unless `trusted` is set. `label` names the source in error messages.
 */
export function clusterFromKubeconfigYaml(
  yaml: string,
  opts: ClusterClientOptions & { label?: string; context?: string; trusted?: boolean } = {},
): ClusterClient {
  const config = kubeconfigFromYaml(yaml, opts.label ?? 'kubeconfig from secret');
  return createClusterClient(
    resolveContext(config, opts.context ?? config.currentContext ?? [...config.contexts.keys()][0]),
    {
      ...opts,
      untrusted: !opts.trusted,
    },
  );
}
