import type { ClusterSession } from '../../engine/cluster-session.ts';
import type { Controller, ResourceType } from '../../engine/controller-manager.ts';
import { parseDuration } from '../../flux/duration.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import { DEFAULT_SOURCE_TIMEOUT, type GitRepository } from '../../flux/source.ts';
import type { ArtifactStore } from '../../sources/artifacts/artifact-store.ts';
import { authFromSecret } from '../../sources/git/git-auth.ts';
import type { GitFetchResult } from '../../sources/git/git-fetch.ts';
import { parseGitUrl } from '../../sources/git/git-url.ts';
import type { GitSource } from '../../sources/git-source.ts';
import type { KubeObject } from '../../util/kube-object.ts';
import type { FluxEventSink } from '../flux-events.ts';
import { sourcePorts } from '../source/source-ports.ts';
import type { GitRepositoryPorts } from './ports.ts';
import { reconcileGitRepository } from './reconcile.ts';

const GIT: ResourceType = { apiVersion: fluxKinds.GitRepository.apiVersion, kind: 'GitRepository' };

export interface GitRepositoryControllerDeps {
  session: ClusterSession;
  git: GitSource;
  store: ArtifactStore;
  events: FluxEventSink;
  concurrency?: number;
}

/** The engine controller for GitRepositories; an included repository's new artifact requeues its includers. */
export function gitRepositoryController(deps: GitRepositoryControllerDeps): Controller {
  const { session } = deps;
  return {
    type: GIT,
    concurrency: deps.concurrency ?? 2,
    reconcile: (obj, req) =>
      reconcileGitRepository(obj as GitRepository, gitRepositoryPorts(obj as GitRepository, deps), req.signal),
    watches: [
      {
        type: GIT,
        map: (e) => {
          const rev = (o: KubeObject | undefined): string | undefined =>
            (o as GitRepository | undefined)?.status?.artifact?.revision;
          if (e.type === 'deleted' || rev(e.object) === rev(e.old)) return [];
          return (session.cache(GIT).list() as GitRepository[])
            .filter(
              (r) =>
                r.metadata.namespace === e.object.metadata.namespace &&
                (r.spec.include ?? []).some((i) => i.repository.name === e.object.metadata.name),
            )
            .map((r) => ({ namespace: r.metadata.namespace ?? '', name: r.metadata.name ?? '' }));
        },
      },
    ],
  };
}

export function gitRepositoryPorts(repo: GitRepository, deps: GitRepositoryControllerDeps): GitRepositoryPorts {
  const { session, git } = deps;
  const base = sourcePorts(repo, deps);
  const { owner } = base;
  return {
    ...base,
    fetch: async (r, auth, signal) => {
      const secretName = r.spec.secretRef ? `${owner.namespace}/${r.spec.secretRef.name}` : undefined;
      const gitAuth = auth || r.spec.secretRef ? authFromSecret(parseGitUrl(r.spec.url), auth, secretName) : undefined;
      const result = await git.fetch({ url: r.spec.url, ...(r.spec.ref ? { ref: r.spec.ref } : {}) }, gitAuth, {
        signal,
        timeoutMs: parseDuration(r.spec.timeout ?? DEFAULT_SOURCE_TIMEOUT),
        ...(r.status?.artifact ? { lastRevision: r.status.artifact.revision } : {}),
        ...(secretName ? { secretName } : {}),
      });
      return {
        commit: result.commit,
        revision: result.revision,
        subject: result.message.split('\n')[0] ?? '',
        tree: result,
      };
    },
    includedArtifact: (ns, name) => (session.cache(GIT).get(ns, name) as GitRepository | undefined)?.status?.artifact,
    storeArtifact: async (r, fetched, includes, signal) => {
      const built = await git.buildArtifact(
        {
          owner,
          fetched: fetched.tree as GitFetchResult,
          ...(r.spec.ignore !== undefined ? { ignore: r.spec.ignore } : {}),
          include: includes.map((i) => ({
            name: i.include.repository.name,
            artifact: i.artifact,
            ...(i.include.fromPath !== undefined ? { fromPath: i.include.fromPath } : {}),
            ...(i.include.toPath !== undefined ? { toPath: i.include.toPath } : {}),
          })),
        },
        { signal },
      );
      return built.artifact;
    },
  };
}
