import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ArtifactStore } from '../../../main/sources/artifacts/artifact-store.ts';

const owner = { kind: 'GitRepository', namespace: 'apps', name: 'podinfo' };
let root: string;
let store: ArtifactStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'fluxdeck-store-'));
  store = new ArtifactStore({ root });
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('ArtifactStore', () => {
  it('writes the URL in-cluster source-controller advertises, so Flux can take status over as it is', async () => {
    const a = await store.put(owner, 'abc.tar.gz', new Uint8Array([1, 2, 3]), 'main@sha1:abc');
    expect(a.url).toBe('http://source-controller.flux-system.svc.cluster.local./gitrepository/apps/podinfo/abc.tar.gz');
    expect(a.path).toBe('gitrepository/apps/podinfo/abc.tar.gz');
  });

  it('does not count a file at the path as held when status names another digest (another engine wrote it)', async () => {
    const a = await store.put(owner, 'abc.tar.gz', new Uint8Array([1, 2, 3]), 'main@sha1:abc');
    expect(await store.exists(a)).toBe(true);
    expect(await store.exists({ ...a, digest: `sha256:${'f'.repeat(64)}` })).toBe(false);
    expect(await store.exists({ ...a, path: 'gitrepository/apps/podinfo/other.tar.gz' })).toBe(false);
  });

  it('notices a file replaced or removed behind its back, after it was found once', async () => {
    const a = await store.put(owner, 'abc.tar.gz', new Uint8Array([1, 2, 3]), 'main@sha1:abc');
    expect(await store.exists(a)).toBe(true);
    // Another engine writes its own tarball (and record) for the same revision at the same path.
    const other = new ArtifactStore({ root });
    const b = await other.put(owner, 'abc.tar.gz', new Uint8Array([4, 5, 6, 7]), 'main@sha1:abc');
    expect(b.digest).not.toBe(a.digest);
    expect(await store.exists(a)).toBe(false);
    expect(await store.exists(b)).toBe(true);
    await unlink(join(root, b.path));
    expect(await store.exists(b)).toBe(false);
  });

  it('hashes the file when it has no record', async () => {
    const a = await store.put(owner, 'abc.tar.gz', new Uint8Array([1, 2, 3]), 'main@sha1:abc');
    await unlink(join(root, `${a.path}.json`));
    expect(await store.exists(a)).toBe(true);
    expect(await store.exists({ ...a, digest: 'sha256:00' })).toBe(false);
  });
});
