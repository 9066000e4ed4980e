import { describe, expect, it } from 'vitest';

import type { FetchedRevision, GitRepositoryPorts } from '../../../../main/controllers/gitrepository/ports.ts';
import { reconcileGitRepository } from '../../../../main/controllers/gitrepository/reconcile.ts';
import type { Artifact, GitRepository, GitRepositoryStatus } from '../../../../main/flux/source.ts';

const HASH = 'a'.repeat(40);
const REV = `main@sha1:${HASH}`;

function repo(
  spec: Partial<GitRepository['spec']> = {},
  status?: GitRepositoryStatus,
  meta: Partial<GitRepository['metadata']> = {},
): GitRepository {
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name: 'repo', namespace: 'flux-system', generation: 1, finalizers: ['finalizers.fluxcd.io'], ...meta },
    spec: { url: 'http://127.0.0.1/repo.git', interval: '1m', ref: { branch: 'main' }, ...spec },
    ...(status ? { status } : {}),
  };
}

const artifact = (revision: string, digest = 'sha256:d1'): Artifact => ({
  path: `gitrepository/flux-system/repo/${digest}.tar.gz`,
  url: 'http://x',
  revision,
  digest,
  lastUpdateTime: '2026-11-26T00:00:00Z',
});

class FetchError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

function harness(
  opts: {
    fetch?: () => Promise<FetchedRevision>;
    secrets?: Record<string, Record<string, string>>;
    stored?: Set<string>;
    included?: Record<string, Artifact>;
  } = {},
) {
  const h = {
    statuses: [] as GitRepositoryStatus[],
    events: [] as { type: string; reason: string; message: string }[],
    storedCount: 0,
    auth: [] as (Record<string, string> | undefined)[],
    deleted: 0,
    finalizers: [] as boolean[],
  };
  const stored = opts.stored ?? new Set<string>();
  const ports: GitRepositoryPorts = {
    secret: (_ns, name) => Promise.resolve(opts.secrets?.[name]),
    fetch: (_r, auth) => {
      h.auth.push(auth);
      return opts.fetch
        ? opts.fetch()
        : Promise.resolve({ commit: HASH, revision: REV, subject: 'add podinfo', tree: {} });
    },
    includedArtifact: (_ns, name) => opts.included?.[name],
    artifactExists: (a) => Promise.resolve(stored.has(a.digest)),
    storeArtifact: (_r, fetched) => {
      h.storedCount++;
      const a = artifact(fetched.revision, `sha256:new${h.storedCount}`);
      stored.add(a.digest);
      return Promise.resolve(a);
    },
    deleteArtifacts: () => {
      h.deleted++;
      return Promise.resolve();
    },
    writeStatus: (_r, s) => {
      h.statuses.push(structuredClone(s));
      return Promise.resolve();
    },
    setFinalizer: (_r, p) => {
      h.finalizers.push(p);
      return Promise.resolve();
    },
    event: (_r, e) => h.events.push(e),
    now: () => new Date('2026-11-26T12:00:00Z'),
  };
  return { h, ports };
}

const signal = new AbortController().signal;
const cond = (s: GitRepositoryStatus | undefined, type: string) => s?.conditions?.find((c) => c.type === type);

describe('GitRepository reconcile', () => {
  it('stores the first artifact and reports Ready with the revision', async () => {
    const { h, ports } = harness();
    expect(await reconcileGitRepository(repo(), ports, signal)).toEqual({ requeueAfterMs: 60_000 });
    expect(cond(h.statuses[0], 'Reconciling')?.message).toBe('building artifact');
    const final = h.statuses.at(-1)!;
    expect(final.artifact?.revision).toBe(REV);
    expect(cond(final, 'Ready')).toMatchObject({
      status: 'True',
      reason: 'Succeeded',
      message: `stored artifact for revision '${REV}'`,
    });
    expect(cond(final, 'ArtifactInStorage')?.status).toBe('True');
    expect(cond(final, 'Reconciling')).toBeUndefined();
    expect(final.observedGeneration).toBe(1);
    expect(h.events).toEqual([
      { type: 'Normal', reason: 'NewArtifact', message: "stored artifact for commit 'add podinfo'", revision: REV },
    ]);
  });

  it('does not store a new artifact when nothing changed, and writes no progress', async () => {
    const a = artifact(REV);
    const { h, ports } = harness({ stored: new Set([a.digest]) });
    await reconcileGitRepository(repo({}, { observedGeneration: 1, artifact: a }), ports, signal);
    expect(h.storedCount).toBe(0);
    expect(h.statuses).toHaveLength(1);
    expect(h.statuses[0]!.artifact).toEqual(a);
  });

  it('rebuilds when the ignore rules change even at the same commit', async () => {
    const a = artifact(REV);
    const { h, ports } = harness({ stored: new Set([a.digest]) });
    await reconcileGitRepository(repo({ ignore: '*.md' }, { observedGeneration: 1, artifact: a }), ports, signal);
    expect(h.storedCount).toBe(1);
    expect(h.statuses.at(-1)!.observedIgnore).toBe('*.md');
  });

  it('rebuilds an artifact that disappeared from storage', async () => {
    const a = artifact(REV);
    const { h, ports } = harness({ stored: new Set() });
    await reconcileGitRepository(repo({}, { observedGeneration: 1, artifact: a }), ports, signal);
    expect(cond(h.statuses[0], 'Reconciling')?.message).toBe(
      'building artifact: disappeared from storage or differs from status',
    );
    expect(h.storedCount).toBe(1);
  });

  it('rewrites an artifact status written by another engine for the same revision (another digest and URL)', async () => {
    // What in-cluster source-controller leaves behind after a hand-off: its own tarball's digest and its URL. This
    // store holds another file at that path (its own bytes of the revision), which does not count as current.
    const foreign: Artifact = {
      ...artifact(REV, 'sha256:flux'),
      url: 'http://source-controller.flux-system.svc.cluster.local./gitrepository/flux-system/repo/a.tar.gz',
    };
    const { h, ports } = harness({ stored: new Set(['sha256:ours']) });
    const outcome = await reconcileGitRepository(repo({}, { observedGeneration: 1, artifact: foreign }), ports, signal);
    expect(outcome).toEqual({ requeueAfterMs: 60_000 });
    expect(h.storedCount).toBe(1);
    const final = h.statuses.at(-1)!;
    expect(final.artifact).toMatchObject({ revision: REV, digest: 'sha256:new1' });
    expect(cond(final, 'Ready')?.status).toBe('True');
    // Same revision: not announced as a new upstream revision.
    expect(cond(final, 'ArtifactOutdated')).toBeUndefined();
    expect(cond(h.statuses[0], 'Reconciling')?.message).toBe(
      'building artifact: disappeared from storage or differs from status',
    );
  });

  it('passes the secret data to the fetch', async () => {
    const { h, ports } = harness({ secrets: { creds: { username: 'git', password: 'pw' } } });
    await reconcileGitRepository(repo({ secretRef: { name: 'creds' } }), ports, signal);
    expect(h.auth).toEqual([{ username: 'git', password: 'pw' }]);
  });

  it('reports a missing secret as AuthenticationFailed and keeps the last artifact', async () => {
    const a = artifact('main@sha1:old');
    const { h, ports } = harness({ stored: new Set([a.digest]) });
    const outcome = await reconcileGitRepository(
      repo({ secretRef: { name: 'creds' } }, { observedGeneration: 1, artifact: a }),
      ports,
      signal,
    );
    expect(outcome.error).toBeInstanceOf(Error);
    const final = h.statuses.at(-1)!;
    expect(cond(final, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'AuthenticationFailed',
      message: `failed to get secret 'flux-system/creds': secrets "creds" not found`,
    });
    expect(cond(final, 'FetchFailed')?.status).toBe('True');
    expect(final.artifact).toEqual(a);
    expect(h.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'AuthenticationFailed' });
  });

  it('keeps the fetch error reason and message, and recovers on the next success', async () => {
    const { h, ports } = harness({
      fetch: () =>
        Promise.reject(
          new FetchError(
            'GitOperationFailed',
            "failed to checkout and determine revision: unable to resolve branch 'nope'",
          ),
        ),
    });
    await reconcileGitRepository(repo({ ref: { branch: 'nope' } }), ports, signal);
    const failed = h.statuses.at(-1)!;
    expect(cond(failed, 'Ready')).toMatchObject({ status: 'False', reason: 'GitOperationFailed' });
    expect(cond(failed, 'Reconciling')?.reason).toBe('ProgressingWithRetry');
    const ok = harness();
    await reconcileGitRepository(repo({}, failed), ok.ports, signal);
    const final = ok.h.statuses.at(-1)!;
    expect(cond(final, 'FetchFailed')).toBeUndefined();
    expect(cond(final, 'Ready')?.status).toBe('True');
  });

  it('requires included repositories to have an artifact', async () => {
    const { h, ports } = harness();
    await reconcileGitRepository(
      repo({ include: [{ repository: { name: 'shared' }, toPath: 'shared' }] }),
      ports,
      signal,
    );
    expect(cond(h.statuses.at(-1), 'IncludeUnavailable')?.status).toBe('True');
    expect(h.storedCount).toBe(0);
    const ok = harness({ included: { shared: artifact('main@sha1:sss', 'sha256:shared') } });
    await reconcileGitRepository(
      repo({ include: [{ repository: { name: 'shared' }, toPath: 'shared' }] }),
      ok.ports,
      signal,
    );
    expect(ok.h.statuses.at(-1)!.includedArtifacts?.map((a) => a.digest)).toEqual(['sha256:shared']);
  });

  it('deletes its artifacts and releases the finalizer on deletion; does nothing while suspended', async () => {
    const { h, ports } = harness();
    await reconcileGitRepository(repo({}, undefined, { deletionTimestamp: '2026-11-26T12:00:00Z' }), ports, signal);
    expect(h.deleted).toBe(1);
    expect(h.finalizers).toEqual([false]);
    const s = harness();
    expect(await reconcileGitRepository(repo({ suspend: true }), s.ports, signal)).toEqual({});
    expect(s.h.statuses).toEqual([]);
  });
});
