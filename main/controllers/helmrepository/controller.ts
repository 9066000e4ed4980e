import type { ClusterSession } from '../../engine/cluster-session.ts';
import type { Controller, ResourceType } from '../../engine/controller-manager.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import { type HelmRepository, SourceReason, sourceTimeoutMs } from '../../flux/source.ts';
import type { ArtifactStore } from '../../sources/artifacts/artifact-store.ts';
import { ChartIndexError, indexRevision, MAX_INDEX_BYTES, parseIndex } from '../../sources/helm/chart-index.ts';
import { httpGet, HttpGetError } from '../../sources/helm/http-get.ts';
import type { FluxEventSink } from '../flux-events.ts';
import { SourceFailure } from '../source/reconcile.ts';
import { sourcePorts } from '../source/source-ports.ts';
import { setFinalizer, StatusWriter } from '../status-writer.ts';
import type { HelmRepositoryPorts, IndexRepository } from './ports.ts';
import { reconcileHelmRepository, withDefaultInterval } from './reconcile.ts';
import { httpAuthFrom, repositoryAuth } from './repository-auth.ts';

const HELM_REPOSITORY: ResourceType = { apiVersion: fluxKinds.HelmRepository.apiVersion, kind: 'HelmRepository' };

export interface HelmRepositoryControllerDeps {
  session: ClusterSession;
  store: ArtifactStore;
  events: FluxEventSink;
  concurrency?: number;
}

/** The engine controller for HelmRepositories. */
export function helmRepositoryController(deps: HelmRepositoryControllerDeps): Controller {
  return {
    type: HELM_REPOSITORY,
    concurrency: deps.concurrency ?? 2,
    reconcile: (obj, req) => {
      const repo = withDefaultInterval(obj as HelmRepository);
      return reconcileHelmRepository(repo, helmRepositoryPorts(repo, deps), req.signal);
    },
  };
}

/** `<url>/index.yaml` (Helm joins the path, keeping any query), or URLInvalid for anything but http(s). */
export function indexURL(repoURL: string): URL {
  let u: URL;
  try {
    u = new URL(repoURL);
  } catch (err) {
    throw new SourceFailure('FetchFailed', SourceReason.URLInvalid, `invalid Helm repository URL: ${repoURL}`, {
      cause: err,
    });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new SourceFailure(
      'FetchFailed',
      SourceReason.URLInvalid,
      `invalid Helm repository URL '${repoURL}': the scheme must be http or https (use type: oci for oci://)`,
    );
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/index.yaml`;
  return u;
}

export function helmRepositoryPorts(repo: IndexRepository, deps: HelmRepositoryControllerDeps): HelmRepositoryPorts {
  const { session, store } = deps;
  const base = sourcePorts(repo, deps);
  const { owner } = base;
  return {
    ...base,
    fetchIndex: async (r, secret, signal) => {
      const url = indexURL(r.spec.url);
      const cert = r.spec.certSecretRef ? await repositoryAuth(session.client, r, signal) : undefined;
      const auth = cert ?? httpAuthFrom(secret, undefined);
      let raw: Buffer;
      try {
        raw = await httpGet(url.href, {
          ...(auth && { auth }),
          sendCredentials: true,
          signal: AbortSignal.any([signal, AbortSignal.timeout(sourceTimeoutMs(r))]),
          maxBytes: MAX_INDEX_BYTES,
        });
      } catch (err) {
        if (!(err instanceof HttpGetError)) throw err;
        throw new SourceFailure('FetchFailed', 'Failed', `failed to fetch Helm repository index: ${err.message}`, {
          cause: err,
        });
      }
      try {
        const index = parseIndex(raw);
        const revision = indexRevision(raw);
        return { revision, index, describe: `revision '${revision}'` };
      } catch (err) {
        if (!(err instanceof ChartIndexError)) throw err;
        throw new SourceFailure(
          'FetchFailed',
          SourceReason.IndexationFailed,
          `failed to load Helm repository from index YAML: ${err.message}`,
          { cause: err },
        );
      }
    },
    storeIndex: async (_r, fetched) => {
      const hex = fetched.revision.slice('sha256:'.length);
      const json = Buffer.from(JSON.stringify(fetched.index, null, 2));
      const artifact = await store.put(owner, `index-${hex}.yaml`, json, fetched.revision);
      await store.gc(owner, { current: artifact });
      return artifact;
    },
    resetStatic: async (r) => {
      await store.removeAll(owner);
      await setFinalizer(session.client, r, false, 'source-controller');
      await new StatusWriter<NonNullable<HelmRepository['status']>>(session.client, r, 'source-controller').write({});
    },
  };
}
