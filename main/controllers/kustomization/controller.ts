import { setTimeout as sleep } from 'node:timers/promises';

import type { ClusterSession } from '../../engine/cluster-session.ts';
import type { CacheEvent, Controller, ReconcileRequest, ResourceType } from '../../engine/controller-manager.ts';
import { isReady } from '../../flux/conditions.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import type { Kustomization, KustomizationStatus } from '../../flux/kustomize.ts';
import type { Artifact, GitRepository } from '../../flux/source.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import { clusterFromKubeconfigYaml } from '../../kube/cluster-client.ts';
import { isKubeError } from '../../kube/kube-error.ts';
import { ResourceManager } from '../../kube/resource-manager.ts';
import { WaitError } from '../../kube/status-poller.ts';
import type { WorkerPool } from '../../kustomize/build-pool.ts';
import { errorChain } from '../../util/errors.ts';
import type { KubeObject } from '../../util/kube-object.ts';
import type { FluxEventSink } from '../flux-events.ts';
import { setFinalizer, StatusWriter } from '../status-writer.ts';
import { dependentsOf } from './dependencies.ts';
import type { Applier, BuildInput, KustomizationPorts } from './ports.ts';
import { reconcileKustomization } from './reconcile.ts';

/** The identity kustomize-controller applies with; keeping it means Flux and Fluxdeck own the same fields. */
export const KUSTOMIZE_OWNER = { field: 'kustomize-controller', group: 'kustomize.toolkit.fluxcd.io' };

const KS: ResourceType = { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization' };
const GIT: ResourceType = { apiVersion: fluxKinds.GitRepository.apiVersion, kind: 'GitRepository' };

export interface KustomizationControllerDeps {
  session: ClusterSession;
  builds: WorkerPool;
  /** Reads an artifact into memory (path → bytes), from the local artifact store. */
  openArtifact(artifact: Artifact, signal: AbortSignal): Promise<Map<string, Uint8Array>>;
  /** Clients for `kubeConfig.secretRef` clusters, owned by whoever owns the controller. */
  remotes: RemoteClients;
  /** True if the artifact file is in local storage (another instance may have built it before a takeover). */
  artifactExists(artifact: Artifact): Promise<boolean>;
  events: FluxEventSink;
  concurrency?: number;
  requeueDependencyMs?: number;
}

/** The engine controller for Kustomizations: reconcile plus the watches that requeue them. */
export function kustomizationController(deps: KustomizationControllerDeps): Controller {
  const { session } = deps;
  return {
    type: KS,
    concurrency: deps.concurrency ?? 4,
    reconcile: (obj, req) =>
      reconcileKustomization(obj as Kustomization, kustomizationPorts(obj as Kustomization, deps, req), req.signal),
    watches: [
      // A source's new artifact requeues the Kustomizations that use it.
      { type: GIT, map: (e) => (artifactChanged(e) ? usersOf(e.object, session) : []) },
      // A Kustomization becoming ready requeues those that depend on it (Flux polls; this is immediate).
      {
        type: KS,
        map: (e) =>
          becameReady(e)
            ? dependentsOf(e.object as Kustomization, session.cache(KS).list() as Kustomization[]).map(nsName)
            : [],
      },
    ],
  };
}

const nsName = (o: KubeObject): { namespace: string; name: string } => ({
  namespace: o.metadata.namespace ?? '',
  name: o.metadata.name ?? '',
});

/**
 * A source's artifact changed: a new revision, or the same revision written again (after a takeover by another
 * instance, whose artifact store did not have it yet).
 */
function artifactChanged(e: CacheEvent): boolean {
  const stamp = (o: KubeObject | undefined): string | undefined => {
    const a = (o as GitRepository | undefined)?.status?.artifact;
    return a && `${a.revision}|${a.lastUpdateTime}`;
  };
  return e.type !== 'deleted' && stamp(e.object) !== undefined && stamp(e.object) !== stamp(e.old);
}

function becameReady(e: CacheEvent): boolean {
  if (e.type !== 'modified') return false;
  const ready = (o: KubeObject | undefined): boolean => isReady((o as Kustomization | undefined)?.status?.conditions);
  return ready(e.object) && !ready(e.old);
}

function usersOf(source: KubeObject, session: ClusterSession): { namespace: string; name: string }[] {
  return (session.cache(KS).list() as Kustomization[])
    .filter((k) => {
      const ref = k.spec.sourceRef;
      return (
        ref.kind === source.kind &&
        ref.name === source.metadata.name &&
        (ref.namespace ?? k.metadata.namespace) === source.metadata.namespace
      );
    })
    .map(nsName);
}

/** The ports of one reconcile of `ks`, bound to the session's cluster, caches and the shared build pool. */
export function kustomizationPorts(
  ks: Kustomization,
  deps: KustomizationControllerDeps,
  req: Pick<ReconcileRequest, 'enqueue'>,
): KustomizationPorts {
  const { session } = deps;
  const client = session.client;
  const status = new StatusWriter<KustomizationStatus>(client, ks, KUSTOMIZE_OWNER.field);
  return {
    source: (k) => {
      const ref = k.spec.sourceRef;
      if (ref.kind !== 'GitRepository') return { found: true, kind: ref.kind, supported: false, ready: false };
      const src = session.cache(GIT).get(ref.namespace ?? k.metadata.namespace ?? '', ref.name) as
        GitRepository | undefined;
      if (!src) return { found: false };
      return {
        found: true,
        kind: ref.kind,
        supported: true,
        ready: isReady(src.status?.conditions),
        ...(src.status?.artifact ? { artifact: src.status.artifact } : {}),
      };
    },
    dependency: (ns, name) => session.cache(KS).get(ns, name) as Kustomization | undefined,
    openArtifact: async (artifact, signal) => {
      if (!(await deps.artifactExists(artifact))) await awaitRebuild(ks, artifact, { deps, req }, signal);
      return deps.openArtifact(artifact, signal);
    },
    hasPath: (files, path) => hasDirectory(files as Map<string, Uint8Array>, path),
    build: (input, signal) => runBuild(deps.builds, input, signal),
    variables: (k, signal) => substitutionVariables(client, k, signal),
    applier: (k, signal) => applierFor(client, k, deps.remotes, signal),
    writeStatus: (_k, s) => status.write(s),
    setFinalizer: (k, present) => setFinalizer(client, k, present, KUSTOMIZE_OWNER.field),
    event: (k, e) =>
      deps.events.emit(session, k, {
        ...e,
        controller: 'kustomize-controller',
        revisionKey: 'kustomize.toolkit.fluxcd.io/revision',
      }),
    requeueDependencyMs: deps.requeueDependencyMs ?? 10_000,
    now: () => new Date(),
  };
}

/**
 * The source's artifact is not in this instance's storage: after a takeover from another instance, or after the app
 * data was cleared. Ask the source to rebuild it (same revision, same bytes) and wait a little, instead of failing.
 */
async function awaitRebuild(
  ks: Kustomization,
  artifact: Artifact,
  ctx: { deps: KustomizationControllerDeps; req: Pick<ReconcileRequest, 'enqueue'> },
  signal: AbortSignal,
): Promise<void> {
  const { deps, req } = ctx;
  const ref = ks.spec.sourceRef;
  req.enqueue(GIT, { namespace: ref.namespace ?? ks.metadata.namespace ?? '', name: ref.name });
  const deadline = Date.now() + 60_000;
  while (!(await deps.artifactExists(artifact))) {
    if (Date.now() > deadline)
      throw new Error(`artifact ${artifact.path} is not in local storage and the source did not rebuild it within 60s`);
    await sleep(250, undefined, { signal });
  }
}

/** True if some file lies under `path` (artifacts hold files only, like Flux's tarballs). */
export function hasDirectory(files: Map<string, Uint8Array>, path: string): boolean {
  const dir = path
    .replace(/^\.?\/+/, '')
    .replace(/\/+$/, '')
    .replace(/^\.$/, '');
  if (dir === '') return files.size > 0;
  for (const f of files.keys()) if (f.startsWith(`${dir}/`)) return true;
  return false;
}

async function runBuild(pool: WorkerPool, input: BuildInput, signal: AbortSignal): Promise<KubeObject[]> {
  signal.throwIfAborted();
  const { files, path, kustomization: ks, vars } = input;
  const dir = path
    .replace(/^\.?\/+/, '')
    .replace(/\/+$/, '')
    .replace(/^\.$/, '');
  const { sourceRef: _s, ...spec } = ks.spec;
  return pool.run({
    files: files as Map<string, Uint8Array>,
    dir,
    flux: spec,
    fluxOptions: vars ? { substituteFrom: vars } : {},
  });
}

/**
 * `postBuild.substituteFrom`: ConfigMaps and Secrets of the Kustomization's namespace, read in list order (later
 * ones win); a missing one is an error unless `optional`. Undefined when there is no postBuild (no substitution).
 */
export async function substitutionVariables(
  client: ClusterClient,
  ks: Kustomization,
  signal: AbortSignal,
): Promise<Record<string, string> | undefined> {
  const post = ks.spec.postBuild;
  if (!post) return undefined;
  const vars: Record<string, string> = {};
  for (const ref of post.substituteFrom ?? []) {
    const key = { apiVersion: 'v1', kind: ref.kind, namespace: ks.metadata.namespace ?? '', name: ref.name };
    const obj = await client.tryGet<KubeObject & { data?: Record<string, string> }>(key, { signal });
    if (!obj) {
      if (ref.optional) continue;
      throw new Error(
        `substitute from '${ref.kind}/${ref.name}' error: ${ref.kind.toLowerCase()}s "${ref.name}" not found`,
      );
    }
    for (const [k, v] of Object.entries(obj.data ?? {}))
      vars[k] = ref.kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
  }
  return vars;
}

/**
 * Clients for remote clusters (`kubeConfig.secretRef`), kept per Secret version: building one per reconcile would
 * leak keep-alive sockets and start every apply with an empty in-sync memo. Closed when the session ends, or when
 * the Secret changes.
 */
export class RemoteClients {
  private readonly clients = new Map<string, { version: string; client: ClusterClient }>();

  get(key: string, version: string, create: () => ClusterClient): ClusterClient {
    const cached = this.clients.get(key);
    if (cached?.version === version) return cached.client;
    cached?.client.close();
    const client = create();
    this.clients.set(key, { version, client });
    return client;
  }

  close(): void {
    for (const c of this.clients.values()) c.client.close();
    this.clients.clear();
  }
}

/**
 * The client that applies for this Kustomization: the session's, impersonating `serviceAccountName`, or one built
 * from the `kubeConfig.secretRef` Secret for a remote cluster (exec plugins refused, as Flux does).
 */
export async function targetClient(
  client: ClusterClient,
  ks: Kustomization,
  remotes: RemoteClients,
  signal: AbortSignal,
): Promise<ClusterClient> {
  const ns = ks.metadata.namespace ?? '';
  const secretRef = ks.spec.kubeConfig?.secretRef;
  let target = client;
  if (secretRef) {
    const secret = await client.tryGet<KubeObject & { data?: Record<string, string> }>(
      { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: secretRef.name },
      { signal },
    );
    if (!secret) throw new Error(`kubeConfig secret '${ns}/${secretRef.name}' not found`);
    const keyName = secretRef.key ?? (secret.data?.value !== undefined ? 'value' : 'value.yaml');
    const value = secret.data?.[keyName];
    if (value === undefined) throw new Error(`kubeConfig secret '${ns}/${secretRef.name}' has no key '${keyName}'`);
    target = remotes.get(`${ns}/${secretRef.name}/${keyName}`, secret.metadata.resourceVersion ?? '', () =>
      clusterFromKubeconfigYaml(Buffer.from(value, 'base64').toString('utf8'), {
        label: `Secret ${ns}/${secretRef.name}`,
      }),
    );
  }
  if (ks.spec.serviceAccountName)
    target = target.impersonate({ serviceAccount: { namespace: ns, name: ks.spec.serviceAccountName } });
  return target;
}

async function applierFor(
  client: ClusterClient,
  ks: Kustomization,
  remotes: RemoteClients,
  signal: AbortSignal,
): Promise<Applier> {
  const target = await targetClient(client, ks, remotes, signal);
  const rm = new ResourceManager(target, { owner: KUSTOMIZE_OWNER });
  const name = ks.metadata.name ?? '';
  const namespace = ks.metadata.namespace ?? '';
  return {
    apply: (objects, opts) =>
      rm.applyAllStaged(rm.setOwnerLabels(objects, name, namespace), {
        ...rm.policy(opts.force),
        signal: opts.signal,
        waitTimeout: opts.timeoutMs,
      }),
    prune: (stale, opts) => rm.deleteAll(stale, { inclusions: rm.ownerLabels(name, namespace), signal: opts.signal }),
    waitHealthy: async (refs, opts) => {
      try {
        await rm.waitForSet(
          refs.map((r) => ({
            ref: r,
            ...(r.apiVersion
              ? { apiVersion: r.apiVersion }
              : r.version
                ? { apiVersion: r.group ? `${r.group}/${r.version}` : r.version }
                : {}),
          })),
          { timeout: opts.timeoutMs, interval: 2000, signal: opts.signal },
        );
        return { healthy: true };
      } catch (err) {
        if (err instanceof WaitError) return { healthy: false, message: err.message };
        if (isKubeError(err)) return { healthy: false, message: errorChain(err) };
        throw err;
      }
    },
  };
}
