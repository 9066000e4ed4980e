/**
 * What the GitRepository controller calls: fetch the revision `spec.ref` asks for, tell whether it changed, and turn it
 * into a stored artifact (with includes and ignore rules), keeping older artifacts within the retention limit. Work
 * runs in worker threads (see source-pool.ts). Every failure is a SourceError naming Flux's condition and reason; a
 * failed build never touches the stored artifacts, so the last good one stays in place.
 */
import type { Artifact, ArtifactOwner } from './artifacts/artifact.ts';
import type { ArtifactStore } from './artifacts/artifact-store.ts';
import type { GitAuth } from './git/git-auth.ts';
import { cacheDirFor, type GitFetchOptions, type GitFetchResult, type GitFetchSpec } from './git/git-fetch.ts';
import type { ArchiveJobResult } from './git-artifact-job.ts';
import { includeFailed, SourceReason } from './source-error.ts';
import { SourcePool } from './source-pool.ts';

export interface GitSourceOptions {
  /** Parent directory of the per-repository git caches. */
  cacheDir: string;
  store: ArtifactStore;
  /** Worker threads for fetches and archives (default 1; 0 runs inline). */
  workers?: number;
  workerUrl?: URL;
}

/** One `spec.include` entry with the included GitRepository's current artifact (undefined if it has none yet). */
export interface IncludeRequest {
  /** `spec.include[].repository.name`. */
  name: string;
  artifact: Artifact | undefined;
  fromPath?: string;
  toPath?: string;
}

export interface BuildRequest {
  /** The GitRepository (kind defaults to GitRepository). */
  owner: Omit<ArtifactOwner, 'kind'> & { kind?: string };
  fetched: Pick<GitFetchResult, 'commit' | 'revision' | 'gitdir'>;
  /** `spec.ignore`. */
  ignore?: string;
  include?: IncludeRequest[];
}

export interface BuiltArtifact {
  artifact: Artifact;
  /** The included artifacts, in spec order (Flux's `status.includedArtifacts`). */
  includedArtifacts: Artifact[];
  files: number;
  /** Links left out because their target does not exist. */
  brokenLinks: string[];
  /** Older artifact files removed by retention. */
  garbageCollected: string[];
}

export class GitSource {
  readonly cacheDir: string;
  readonly store: ArtifactStore;
  private readonly pool: SourcePool;

  constructor(opts: GitSourceOptions) {
    this.cacheDir = opts.cacheDir;
    this.store = opts.store;
    this.pool = new SourcePool({ size: opts.workers ?? 1, ...(opts.workerUrl ? { workerUrl: opts.workerUrl } : {}) });
  }

  /** Fetches `spec.ref` into the repository's cache; `changed` tells whether it moved since `lastRevision`. */
  fetch(
    spec: GitFetchSpec,
    auth: GitAuth | undefined,
    opts: Omit<GitFetchOptions, 'cacheDir'> = {},
  ): Promise<GitFetchResult> {
    const { signal, ...rest } = opts;
    const key = cacheDirFor(this.cacheDir, spec.url);
    return this.pool.run({ op: 'fetch', spec, auth, opts: { ...rest, cacheDir: this.cacheDir } }, key, signal);
  }

  /**
   * Writes the artifact for a fetched commit into the store (`gitrepository/<ns>/<name>/<commit>.tar.gz`), then
   * garbage-collects older ones, never the new one.
   */
  async buildArtifact(req: BuildRequest, opts: { signal?: AbortSignal } = {}): Promise<BuiltArtifact> {
    const owner: ArtifactOwner = {
      kind: req.owner.kind ?? 'GitRepository',
      namespace: req.owner.namespace,
      name: req.owner.name,
    };
    const includes = (req.include ?? []).map((inc) => {
      if (!inc.artifact) {
        throw includeFailed(
          SourceReason.NoArtifact,
          `no artifact available for include '${inc.name}'; it appears once that GitRepository is ready`,
        );
      }
      return {
        name: inc.name,
        file: this.store.localPath(inc.artifact),
        digest: inc.artifact.digest,
        ...(inc.fromPath === undefined ? {} : { fromPath: inc.fromPath }),
        ...(inc.toPath === undefined ? {} : { toPath: inc.toPath }),
      };
    });
    const reservation = await this.store.reserve(owner, `${req.fetched.commit}.tar.gz`);
    let result: ArchiveJobResult;
    try {
      result = await this.pool.run<ArchiveJobResult>(
        {
          op: 'archive',
          job: {
            gitdir: req.fetched.gitdir,
            commit: req.fetched.commit,
            ...(req.ignore === undefined ? {} : { ignore: req.ignore }),
            includes,
            outFile: reservation.tmpPath,
          },
        },
        req.fetched.gitdir,
        opts.signal,
      );
    } catch (err) {
      await this.store.discard(reservation);
      throw err;
    }
    const artifact = await this.store.commit(reservation, {
      revision: req.fetched.revision,
      digest: result.digest,
      size: result.size,
    });
    const garbageCollected = await this.store.gc(owner, { current: artifact }).catch(() => []);
    return {
      artifact,
      includedArtifacts: (req.include ?? []).flatMap((i) => (i.artifact ? [i.artifact] : [])),
      files: result.files,
      brokenLinks: result.brokenLinks,
      garbageCollected,
    };
  }

  /** Stops the worker threads. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
