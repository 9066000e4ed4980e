import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ArtifactStore } from '../../../main/sources/artifacts/artifact-store.ts';
import { openArtifact } from '../../../main/sources/artifacts/open-artifact.ts';
import { GitSource } from '../../../main/sources/git-source.ts';
import { SourceError } from '../../../main/sources/source-error.ts';
import { type GitServer, startGitServer } from '../../support/git-server.ts';
import { workingCopy } from './git-fixture.ts';

const exec = promisify(execFile);

describe('GitRepository artifacts built from the local git server', () => {
  let server: GitServer;
  let work: string;
  let source: GitSource;
  let store: ArtifactStore;

  beforeAll(async () => {
    server = await startGitServer();
    work = await mkdtemp(join(tmpdir(), 'fluxdeck-artifacts-'));
    store = new ArtifactStore({ root: join(work, 'artifacts'), keep: 2 });
    // The default: fetches and archives in a worker thread.
    source = new GitSource({ cacheDir: join(work, 'git'), store, workers: 1 });
  });
  afterAll(async () => {
    await source.close();
    await server.close();
    await rm(server.root, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  });

  async function build(
    repo: string,
    opts: { ignore?: string; name?: string; include?: Parameters<GitSource['buildArtifact']>[0]['include'] } = {},
  ): ReturnType<GitSource['buildArtifact']> {
    const fetched = await source.fetch({ url: `${server.url}/${repo}.git`, ref: { branch: 'main' } }, undefined);
    return source.buildArtifact({
      owner: { namespace: 'flux-system', name: opts.name ?? repo },
      fetched,
      ...(opts.ignore === undefined ? {} : { ignore: opts.ignore }),
      ...(opts.include ? { include: opts.include } : {}),
    });
  }

  it('stores a tar.gz that GNU tar reads, with the Flux path, revision, digest and size', async () => {
    await server.createRepo('app');
    const wc = await workingCopy(server.repoPath('app'));
    await wc.write({ 'deploy/cm.yaml': 'kind: ConfigMap\n', 'run.sh': { exec: '#!/bin/sh\necho hi\n' } });
    const commit = await wc.commit('app');
    const built = await build('app');
    expect(built.artifact).toMatchObject({
      path: `gitrepository/flux-system/app/${commit}.tar.gz`,
      revision: `main@sha1:${commit}`,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    const file = store.localPath(built.artifact);
    const sha = (await exec('sha256sum', [file])).stdout.split(' ')[0];
    expect(built.artifact.digest).toBe(`sha256:${sha}`);
    const listing = (await exec('tar', ['-tvzf', file])).stdout;
    expect(listing).toMatch(/^-rwx------ 0\/0 .* run\.sh$/m);
    expect(listing).toMatch(/^-rw------- 0\/0 .* deploy\/cm\.yaml$/m);
    const mem = await openArtifact(store, built.artifact);
    expect(Buffer.from(mem.readFile('deploy/cm.yaml')).toString()).toBe('kind: ConfigMap\n');
    expect(mem.readDir('')).toEqual(['deploy', 'run.sh']);
    await wc.close();
  });

  it('is deterministic: the same tree gives the same digest, in another store and cache', async () => {
    await server.createRepo('same');
    const wc = await workingCopy(server.repoPath('same'));
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`d${i % 3}/f${i}.yaml`] = `i: ${i}\n`;
    await wc.write(files);
    await wc.commit('same');
    const a = await build('same');
    const other = new GitSource({
      cacheDir: join(work, 'git2'),
      store: new ArtifactStore({ root: join(work, 'a2') }),
      workers: 0,
    });
    const fetched = await other.fetch({ url: `${server.url}/same.git`, ref: { branch: 'main' } }, undefined);
    const b = await other.buildArtifact({ owner: { namespace: 'flux-system', name: 'same' }, fetched });
    expect(b.artifact.digest).toBe(a.artifact.digest);
    await other.close();
    await wc.close();
  });

  it('applies .sourceignore files and spec.ignore, and drops the default exclusions once there is a user pattern', async () => {
    await server.createRepo('ignored');
    const wc = await workingCopy(server.repoPath('ignored'));
    await wc.write({
      'logo.png': 'png',
      '.github/workflows/ci.yaml': 'ci',
      '.sops.yaml': 'sops',
      'apps/a.yaml': 'a',
      'apps/b.yaml': 'b',
      'apps/tmp/x.yaml': 'x',
    });
    await wc.commit('defaults');
    const plain = await openArtifact(store, (await build('ignored', { name: 'ignored-defaults' })).artifact);
    expect([...plain.files.keys()].sort()).toEqual(['apps/a.yaml', 'apps/b.yaml', 'apps/tmp/x.yaml']);

    await wc.write({ 'apps/.sourceignore': 'tmp/\n# comment\n*.yaml\n!a.yaml\n' });
    await wc.commit('sourceignore');
    const withFile = await openArtifact(store, (await build('ignored', { name: 'ignored-file' })).artifact);
    expect([...withFile.files.keys()].sort()).toEqual([
      '.github/workflows/ci.yaml',
      '.sops.yaml',
      'apps/.sourceignore',
      'apps/a.yaml',
      'logo.png',
    ]);

    // spec.ignore comes last, so its re-include of /apps wins over apps/.sourceignore (go-git's last-match rule)
    const withSpec = await openArtifact(
      store,
      (await build('ignored', { name: 'ignored-spec', ignore: '/*\n!/apps\n' })).artifact,
    );
    expect([...withSpec.files.keys()].sort()).toEqual([
      'apps/.sourceignore',
      'apps/a.yaml',
      'apps/b.yaml',
      'apps/tmp/x.yaml',
    ]);
    await wc.close();
  });

  it('copies includes into sub-paths and refuses a toPath that leaves the repository', async () => {
    await server.createRepo('shared');
    const shared = await workingCopy(server.repoPath('shared'));
    await shared.write({ 'base/kustomization.yaml': 'resources: []\n', 'other/x.yaml': 'x\n' });
    await shared.commit('shared');
    const sharedBuilt = await build('shared');
    await server.createRepo('main-repo');
    const wc = await workingCopy(server.repoPath('main-repo'));
    await wc.write({ 'apps/app.yaml': 'app\n' });
    await wc.commit('main');
    const built = await build('main-repo', {
      include: [{ name: 'shared', artifact: sharedBuilt.artifact, fromPath: 'base', toPath: 'vendor/base' }],
    });
    const mem = await openArtifact(store, built.artifact);
    expect([...mem.files.keys()].sort()).toEqual(['apps/app.yaml', 'vendor/base/kustomization.yaml']);
    expect(built.includedArtifacts).toEqual([sharedBuilt.artifact]);

    const escape = await build('main-repo', {
      include: [{ name: 'shared', artifact: sharedBuilt.artifact, toPath: '../../etc' }],
    }).catch((e: unknown) => e);
    expect(escape).toBeInstanceOf(SourceError);
    expect(escape).toMatchObject({ reason: 'IllegalPath', condition: 'StorageOperationFailed' });
    const missing = await build('main-repo', { include: [{ name: 'nope', artifact: undefined }] }).catch(
      (e: unknown) => e,
    );
    expect(missing).toMatchObject({ reason: 'NoArtifact', condition: 'IncludeUnavailable' });
    // the last good artifact is still there and intact
    expect(await store.exists(built.artifact, { verify: true })).toBe(true);
    await shared.close();
    await wc.close();
  });

  it('resolves links inside the repository and refuses one that points outside, keeping the last good artifact', async () => {
    await server.createRepo('links');
    const wc = await workingCopy(server.repoPath('links'));
    await wc.write({
      'base/cm.yaml': 'cm\n',
      current: { symlink: 'base' },
      'cm-link.yaml': { symlink: 'base/cm.yaml' },
      dangling: { symlink: 'nowhere' },
    });
    await wc.commit('links');
    const good = await build('links');
    const mem = await openArtifact(store, good.artifact);
    expect([...mem.files.keys()].sort()).toEqual(['base/cm.yaml', 'cm-link.yaml', 'current/cm.yaml']);
    expect(good.brokenLinks).toEqual(['dangling']);

    await wc.write({ secret: { symlink: '../../../../etc/passwd' } });
    await wc.commit('escape');
    const err = await build('links').catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'ArchiveOperationFailed', condition: 'StorageOperationFailed' });
    expect((err as Error).message).toContain("symlink 'secret' points outside the repository");
    expect((await store.latest({ kind: 'GitRepository', namespace: 'flux-system', name: 'links' }))?.digest).toBe(
      good.artifact.digest,
    );

    // excluding the link is the documented way out
    const ok = await build('links', { ignore: 'secret\n' });
    expect(ok.artifact.revision).not.toBe(good.artifact.revision);
    await wc.close();
  });

  it('resets a damaged git cache when building, and builds again after the next fetch', async () => {
    await server.createRepo('damaged');
    const wc = await workingCopy(server.repoPath('damaged'));
    await wc.write({ 'a.yaml': 'a\n', 'b/c.yaml': 'c\n' });
    await wc.commit('damaged');
    const url = `${server.url}/damaged.git`;
    const fetched = await source.fetch({ url, ref: { branch: 'main' } }, undefined);
    const packDir = join(fetched.gitdir, 'objects', 'pack');
    for (const f of await readdir(packDir)) if (f.endsWith('.pack')) await truncate(join(packDir, f), 64);
    const owner = { namespace: 'flux-system', name: 'damaged' };
    const err = await source.buildArtifact({ owner, fetched }).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'ArchiveOperationFailed' });
    expect((err as Error).message).toContain('the cache was reset');
    const again = await source.fetch({ url, ref: { branch: 'main' } }, undefined, { lastRevision: fetched.revision });
    expect(again).toMatchObject({ fetched: true, changed: false });
    const built = await source.buildArtifact({ owner, fetched: again });
    expect([...(await openArtifact(store, built.artifact)).files.keys()].sort()).toEqual(['a.yaml', 'b/c.yaml']);
    await wc.close();
  });

  it('keeps the newest artifacts within the retention limit and never the current one', async () => {
    await server.createRepo('retained');
    const wc = await workingCopy(server.repoPath('retained'));
    const built = [];
    for (let i = 0; i < 4; i++) {
      await wc.write({ 'v.yaml': `v: ${i}\n` });
      await wc.commit(`v${i}`);
      built.push(await build('retained'));
    }
    const dir = join(store.root, 'gitrepository', 'flux-system', 'retained');
    const left = (await readdir(dir)).filter((f) => f.endsWith('.tar.gz')).sort();
    expect(left).toEqual([built[2]!.artifact.path, built[3]!.artifact.path].map((p) => p.split('/').pop()).sort());
    const deleted = await store.gc(
      { kind: 'GitRepository', namespace: 'flux-system', name: 'retained' },
      { keep: 1, current: built[2]!.artifact },
    );
    expect(deleted).toEqual([]);
    expect(await store.exists(built[3]!.artifact)).toBe(true);
    expect(await store.exists(built[2]!.artifact)).toBe(true);
    await wc.close();
  });
});
