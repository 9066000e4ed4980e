import type { ReconcileOutcome } from '../../engine/controller-manager.ts';
import {
  type GitRepository,
  type GitRepositoryInclude,
  type GitRepositoryStatus,
  SourceCondition,
  SourceReason,
} from '../../flux/source.ts';
import type { Fetched, SourceKind } from '../source/ports.ts';
import { reconcileSource, SourceFailure } from '../source/reconcile.ts';
import type { FetchedRevision, GitRepositoryPorts, ResolvedInclude } from './ports.ts';

/**
 * The GitRepository reconciler (flux-behaviour.md §1.3–§1.4): the shared source reconcile (../source), with git's
 * fetch and the inputs only GitRepository has: the ignore rules and the artifacts of included repositories.
 */
export function reconcileGitRepository(
  repo: GitRepository,
  ports: GitRepositoryPorts,
  signal: AbortSignal,
): Promise<ReconcileOutcome> {
  return reconcileSource(repo, gitKind(ports), ports, signal);
}

type GitFetched = FetchedRevision & Fetched;

function gitKind(ports: GitRepositoryPorts): SourceKind<GitRepository, GitFetched, ResolvedInclude[]> {
  return {
    fetchFailedReason: SourceReason.GitOperationFailed,
    fetch: async (repo, auth, signal) => {
      const fetched = await ports.fetch(repo, auth, signal);
      return { ...fetched, describe: `commit '${fetched.subject}'` };
    },
    inputs: (repo) => {
      const namespace = repo.metadata.namespace ?? '';
      return (repo.spec.include ?? []).map((include) => {
        const name = include.repository.name;
        const artifact = ports.includedArtifact(namespace, name);
        if (!artifact)
          throw new SourceFailure(
            SourceCondition.IncludeUnavailable,
            'NotFound',
            `could not get artifact of included GitRepository '${namespace}/${name}': it does not exist or has no artifact yet`,
          );
        return { include, artifact };
      });
    },
    sameInputs: (repo, s, includes) => {
      if ((s.observedIgnore ?? undefined) !== (repo.spec.ignore ?? undefined)) return false;
      if (!sameIncludes(s.observedInclude, repo.spec.include)) return false;
      const before = (s.includedArtifacts ?? []).map((a) => a.digest).join(',');
      return before === includes.map((i) => i.artifact.digest).join(',');
    },
    store: (repo, fetched, includes, signal) => ports.storeArtifact(repo, fetched, includes, signal),
    observe: (repo, s: GitRepositoryStatus, includes) => {
      if (includes.length > 0) s.includedArtifacts = includes.map((i) => i.artifact);
      else delete s.includedArtifacts;
      s.observedIgnore = repo.spec.ignore;
      s.observedInclude = repo.spec.include;
      s.observedRecurseSubmodules = repo.spec.recurseSubmodules;
    },
  };
}

function sameIncludes(a: GitRepositoryInclude[] | undefined, b: GitRepositoryInclude[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}
