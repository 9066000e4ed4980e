import { createHash } from 'node:crypto';

import type { ClusterSession } from '../../engine/cluster-session.ts';
import type { CacheEvent, Controller, ReconcileRequest, ResourceType } from '../../engine/controller-manager.ts';
import { isReady } from '../../flux/conditions.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import type { Kustomization, KustomizationStatus } from '../../flux/kustomize.ts';
import { KUSTOMIZE_OWNER } from '../../flux/kustomize.ts';
import type { Artifact } from '../../flux/source.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import { isKubeError } from '../../kube/kube-error.ts';
import { LivePresence } from '../../kube/live-presence.ts';
import { ResourceManager } from '../../kube/resource-manager.ts';
import { WaitError } from '../../kube/status-poller.ts';
import { toYamlStream, type WorkerPool } from '../../kustomize/index.ts';
import { errorChain } from '../../util/errors.ts';
import type { KubeObject } from '../../util/kube-object.ts';
import type { FluxEventSink } from '../flux-events.ts';
import type { SourceObject } from '../source/ports.ts';
import { setFinalizer, StatusWriter } from '../status-writer.ts';
import { artifactChanged, becameReady, nsName } from '../watch-triggers.ts';
import { watchedSourceTypes } from '../watched-kinds.ts';
import { type ArtifactTree, buildKustomization, hasDirectory } from './build.ts';
import { dependentsOf } from './dependencies.ts';
import { heldArtifact } from './held-artifact.ts';
import type { Applier, KustomizationPorts } from './ports.ts';
import { reconcileKustomization } from './reconcile.ts';
import { type RemoteClients, targetClient } from './target-client.ts';
import { substitutionVariables } from './variables.ts';

const KS: ResourceType = { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization' };

export interface KustomizationControllerDeps {
  session: ClusterSession;
  builds: WorkerPool;
  /** Reads an artifact into memory (path → bytes), from the local artifact store. */
  openArtifact(artifact: Artifact, signal: AbortSignal): Promise<Map<string, Uint8Array>>;
  /** Clients for `kubeConfig.secretRef` clusters, owned by whoever owns the controller. */
  remotes: RemoteClients;
  /** True if local storage holds the artifact, with its digest (another engine may have written status before a takeover). */
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
      ...watchedSourceTypes(session).map((type) => ({
        type,
        map: (e: CacheEvent) => (artifactChanged(e) ? usersOf(e.object, session) : []),
      })),
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
      const type = watchedSourceTypes(session).find((t) => t.kind === ref.kind);
      if (!type) return { found: true, kind: ref.kind, supported: false, ready: false };
      const src = session.cache(type).get(ref.namespace ?? k.metadata.namespace ?? '', ref.name) as
        SourceObject | undefined;
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
      const ref = ks.spec.sourceRef;
      const type = watchedSourceTypes(session).find((t) => t.kind === ref.kind);
      const at = { namespace: ref.namespace ?? ks.metadata.namespace ?? '', name: ref.name };
      const sourceNow = (): SourceObject | undefined =>
        type ? (session.cache(type).get(at.namespace, at.name) as SourceObject | undefined) : undefined;
      const held = await heldArtifact(
        artifact,
        {
          held: (a) => deps.artifactExists(a),
          current: () => sourceNow()?.status?.artifact,
          requestRebuild: () => {
            if (type) req.enqueue(type, at);
          },
          failing: () => {
            const ready = sourceNow()?.status?.conditions?.find((c) => c.type === 'Ready');
            return ready?.status === 'False' ? ready.message || ready.reason : undefined;
          },
        },
        signal,
      );
      // The digest names the files for the build pool, whose workers keep the trees they have already indexed.
      return { files: await deps.openArtifact(held, signal), filesKey: held.digest } satisfies ArtifactTree;
    },
    hasPath: (tree, path) => hasDirectory((tree as ArtifactTree).files, path),
    build: (input, signal) =>
      buildKustomization(deps.builds, input.kustomization, input.files as ArtifactTree, {
        ...(input.vars && { vars: input.vars }),
        signal,
      }),
    manifestsDigest: (objects) => `sha256:${createHash('sha256').update(toYamlStream(objects)).digest('hex')}`,
    variables: (k, signal) => substitutionVariables(client, k, signal),
    applier: (k, signal) => applierFor({ client, presence: presenceOf(session) }, k, deps.remotes, signal),
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

const presences = new WeakMap<ClusterSession, LivePresence>();

/** The session's presence index of applied kinds, stopped with the session. */
function presenceOf(session: ClusterSession): LivePresence {
  let p = presences.get(session);
  if (!p) {
    const created = new LivePresence(session.client);
    session.disposables.add(() => created.stop());
    presences.set(session, created);
    p = created;
  }
  return p;
}

async function applierFor(
  { client, presence }: { client: ClusterClient; presence: LivePresence },
  ks: Kustomization,
  remotes: RemoteClients,
  signal: AbortSignal,
): Promise<Applier> {
  const target = await targetClient(client, ks, remotes, signal);
  // The presence index knows the session's cluster: a remote target (spec.kubeConfig) is another one. Views that
  // impersonate share the cluster's mapper.
  const rm = new ResourceManager(target, {
    owner: KUSTOMIZE_OWNER,
    ...(target.mapper === client.mapper ? { presence } : {}),
  });
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
