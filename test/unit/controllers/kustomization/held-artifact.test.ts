import { describe, expect, it } from 'vitest';

import { heldArtifact } from '../../../../main/controllers/kustomization/held-artifact.ts';
import type { Artifact } from '../../../../main/flux/source.ts';

const REV = `main@sha1:${'b'.repeat(40)}`;
const artifact = (digest: string, revision = REV): Artifact => ({
  path: `gitrepository/flux-system/repo/${'b'.repeat(40)}.tar.gz`,
  url: 'http://x',
  revision,
  digest,
  lastUpdateTime: '2026-12-04T00:00:00Z',
});
const signal = new AbortController().signal;

describe('heldArtifact', () => {
  it('returns the artifact at once when storage holds it, without waking the source', async () => {
    let woken = 0;
    const a = artifact('sha256:ours');
    const got = await heldArtifact(
      a,
      {
        held: (x) => Promise.resolve(x.digest === 'sha256:ours'),
        current: () => a,
        requestRebuild: () => woken++,
        failing: () => undefined,
      },
      signal,
    );
    expect(got).toBe(a);
    expect(woken).toBe(0);
  });

  it('wakes the source on a foreign digest and goes on with the artifact it rewrites for the same revision', async () => {
    // Status as in-cluster Flux left it: same revision, its own digest. The source rebuilds, status changes.
    let status = artifact('sha256:flux');
    let woken = 0;
    const got = await heldArtifact(
      status,
      {
        held: (x) => Promise.resolve(x.digest === 'sha256:ours'),
        current: () => status,
        requestRebuild: () => {
          woken++;
          status = artifact('sha256:ours');
        },
        failing: () => undefined,
        pollMs: 1,
      },
      signal,
    );
    expect(woken).toBe(1);
    expect(got.digest).toBe('sha256:ours');
    expect(got.revision).toBe(REV);
  });

  it('stops waiting when the source moves to another revision', async () => {
    let status = artifact('sha256:flux');
    await expect(
      heldArtifact(
        status,
        {
          held: () => Promise.resolve(false),
          current: () => status,
          requestRebuild: () => {
            status = artifact('sha256:next', `main@sha1:${'c'.repeat(40)}`);
          },
          failing: () => undefined,
          pollMs: 1,
        },
        signal,
      ),
    ).rejects.toThrow(/moved from revision .* to main@sha1:c+/);
  });

  it('gives up with a message naming the artifact when the source never rebuilds it', async () => {
    const a = artifact('sha256:flux');
    await expect(
      heldArtifact(
        a,
        {
          held: () => Promise.resolve(false),
          current: () => a,
          requestRebuild: () => {},
          failing: () => undefined,
          timeoutMs: 5,
          pollMs: 1,
        },
        signal,
      ),
    ).rejects.toThrow(/\(sha256:flux\) is not in local storage and the source did not rebuild it/);
  });

  it('does not wait for a source that fails (its server unreachable), so the worker is free at once', async () => {
    const a = artifact('sha256:flux');
    let woken = 0;
    await expect(
      heldArtifact(
        a,
        {
          held: () => Promise.resolve(false),
          current: () => a,
          requestRebuild: () => woken++,
          failing: () => 'cannot reach http://127.0.0.1:1/fleet.git: connection refused',
          // Far beyond the test's own timeout: only giving up early passes.
          timeoutMs: 600_000,
        },
        signal,
      ),
    ).rejects.toThrow(
      /is not in local storage and its source cannot rebuild it now \(cannot reach .*connection refused\); this Kustomization goes on when the source has an artifact again/,
    );
    // Still asked: a source that recovers rebuilds the artifact, and its new status requeues the Kustomization.
    expect(woken).toBe(1);
  });
});
