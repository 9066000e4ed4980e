import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, truncate } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authFromSecret } from '../../../main/sources/git/git-auth.ts';
import { fetchGit } from '../../../main/sources/git/git-fetch.ts';
import { parseGitUrl } from '../../../main/sources/git/git-url.ts';
import { SourceError } from '../../../main/sources/source-error.ts';
import { countingProxy } from '../../support/counting-proxy.ts';
import { type GitServer, startGitServer } from '../../support/git-server.ts';
import { workingCopy } from './git-fixture.ts';

const exec = promisify(execFile);

function sourceError(err: unknown): SourceError {
  expect(err).toBeInstanceOf(SourceError);
  return err as SourceError;
}

async function failure(p: Promise<unknown>): Promise<SourceError> {
  try {
    await p;
  } catch (err) {
    return sourceError(err);
  }
  throw new Error('expected the fetch to fail');
}

describe('fetchGit against the local git server', () => {
  let anon: GitServer;
  let authed: GitServer;
  let cacheDir: string;

  beforeAll(async () => {
    anon = await startGitServer();
    authed = await startGitServer({ auth: { basic: { username: 'alice', password: 's3cret' }, bearer: 'tok-123' } });
    cacheDir = await mkdtemp(join(tmpdir(), 'fluxdeck-gitcache-'));
  });
  afterAll(async () => {
    await anon.close();
    await authed.close();
    await rm(anon.root, { recursive: true, force: true });
    await rm(authed.root, { recursive: true, force: true });
    await rm(cacheDir, { recursive: true, force: true });
  });

  it('fetches a branch anonymously and reports the Flux revision, then nothing more while it is unchanged', async () => {
    const url = await anon.createRepo('plain');
    const wc = await workingCopy(anon.repoPath('plain'));
    await wc.write({ 'app/cm.yaml': 'kind: ConfigMap\n' });
    const commit = await wc.commit('first commit\n\nbody');
    const first = await fetchGit({ url, ref: { branch: 'main' } }, undefined, { cacheDir });
    expect(first).toMatchObject({
      commit,
      revision: `main@sha1:${commit}`,
      reference: 'refs/heads/main',
      changed: true,
      fetched: true,
    });
    expect(first.message.split('\n')[0]).toBe('first commit');
    const again = await fetchGit({ url, ref: { branch: 'main' } }, undefined, {
      cacheDir,
      lastRevision: first.revision,
    });
    expect(again).toMatchObject({ commit, changed: false, fetched: false });
    // the legacy `main/<sha>` revision form counts as the same revision
    const legacy = await fetchGit({ url, ref: { branch: 'main' } }, undefined, {
      cacheDir,
      lastRevision: `main/${commit}`,
    });
    expect(legacy.changed).toBe(false);
    await wc.close();
  });

  it('defaults to branch master when spec.ref is empty, and says so when it is missing', async () => {
    const url = await anon.createRepo('nomaster');
    const wc = await workingCopy(anon.repoPath('nomaster'));
    await wc.commit('on main');
    const err = await failure(fetchGit({ url }, undefined, { cacheDir }));
    expect(err.reason).toBe('GitOperationFailed');
    expect(err.condition).toBe('FetchFailed');
    expect(err.message).toContain("branch 'master' not found");
    const master = await wc.commit('on master', { branch: 'master' });
    expect((await fetchGit({ url }, undefined, { cacheDir })).revision).toBe(`master@sha1:${master}`);
    await wc.close();
  });

  it('authenticates with basic auth and with a bearer token, and names the secret when the password is wrong', async () => {
    const url = await authed.createRepo('private');
    const wc = await workingCopy(authed.repoPath('private'));
    await wc.write({ 'a.yaml': 'a: 1\n' });
    const commit = await wc.commit('private');
    const u = parseGitUrl(url);
    const basic = authFromSecret(u, { username: 'alice', password: 's3cret' });
    const bearer = authFromSecret(u, { bearerToken: Buffer.from('tok-123') });
    expect(
      (await fetchGit({ url, ref: { branch: 'main' } }, basic, { cacheDir: join(cacheDir, 'basic') })).commit,
    ).toBe(commit);
    expect(
      (await fetchGit({ url, ref: { branch: 'main' } }, bearer, { cacheDir: join(cacheDir, 'bearer') })).commit,
    ).toBe(commit);

    const wrong = authFromSecret(u, { username: 'alice', password: 'nope' });
    const err = await failure(fetchGit({ url }, wrong, { cacheDir, secretName: 'flux-system/git-creds' }));
    expect(err.reason).toBe('AuthenticationFailed');
    expect(err.message).toContain('flux-system/git-creds');
    expect(err.message).not.toContain('nope');
    const none = await failure(fetchGit({ url }, undefined, { cacheDir }));
    expect(none.reason).toBe('AuthenticationFailed');
    await wc.close();
  });

  it('resolves tags (lightweight and annotated), semver ranges, full ref names and commits', async () => {
    const url = await anon.createRepo('refs');
    const wc = await workingCopy(anon.repoPath('refs'));
    const c1 = await wc.commit('one');
    await wc.push('HEAD:refs/tags/v1.0.0');
    const c2 = await wc.commit('two');
    await wc.git('tag', '-a', 'v1.2.0', '-m', 'annotated');
    await wc.push('refs/tags/v1.2.0');
    const c3 = await wc.commit('three');
    await wc.push('HEAD:refs/tags/v2.0.0-rc.1');
    await wc.push('HEAD:refs/tags/not-semver');
    await wc.push('HEAD:refs/pull/7/head');
    const c4 = await wc.commit('four');

    const f = (ref: object): ReturnType<typeof fetchGit> => fetchGit({ url, ref }, undefined, { cacheDir });
    expect((await f({ tag: 'v1.0.0' })).revision).toBe(`v1.0.0@sha1:${c1}`);
    expect((await f({ tag: 'v1.2.0' })).revision).toBe(`v1.2.0@sha1:${c2}`);
    // Masterminds semantics: prereleases only match ranges that ask for them
    expect((await f({ semver: '>=1.0.0' })).revision).toBe(`v1.2.0@sha1:${c2}`);
    expect((await f({ semver: '>=1.0.0-0, <3.0.0-0' })).revision).toBe(`v2.0.0-rc.1@sha1:${c3}`);
    expect((await f({ semver: '~1.0' })).revision).toBe(`v1.0.0@sha1:${c1}`);
    expect((await f({ name: 'refs/pull/7/head' })).revision).toBe(`refs/pull/7/head@sha1:${c3}`);
    expect((await f({ branch: 'main', commit: c2 })).revision).toBe(`main@sha1:${c2}`);
    expect((await f({ commit: c1 })).revision).toBe(`sha1:${c1}`);
    expect((await f({ branch: 'main' })).revision).toBe(`main@sha1:${c4}`);

    expect((await failure(f({ tag: 'v9.9.9' }))).message).toContain("tag 'v9.9.9' not found");
    const noMatch = await failure(f({ semver: '>=5.0.0' }));
    expect(noMatch.reason).toBe('GitOperationFailed');
    expect(noMatch.message).toContain('no match found for semver: >=5.0.0');
    const badRange = await failure(f({ semver: 'not a range' }));
    expect(badRange.stalled).toBe(true);
    await wc.close();
  });

  it('fetches only the new objects after a push, and follows a force-push', async () => {
    const url = await anon.createRepo('incremental');
    const wc = await workingCopy(anon.repoPath('incremental'));
    const big: Record<string, string> = {};
    for (let i = 0; i < 200; i++) big[`deploy/file-${i}.yaml`] = `# ${i}\n${'data: '.repeat(200)}${Math.random()}\n`;
    await wc.write(big);
    await wc.commit('many files');
    const first = await fetchGit({ url, ref: { branch: 'main' } }, undefined, { cacheDir });

    await wc.write({ 'deploy/file-3.yaml': 'changed: true\n' });
    const next = await wc.commit('one change');
    const second = await fetchGit({ url, ref: { branch: 'main' } }, undefined, {
      cacheDir,
      lastRevision: first.revision,
    });
    expect(second).toMatchObject({ commit: next, changed: true, fetched: true });
    expect(second.bytesReceived).toBeLessThan(first.bytesReceived / 10);

    // rewrite history: a new root commit replaces the branch
    await wc.git('checkout', '--quiet', '--orphan', 'rewritten');
    await wc.write({ 'only.yaml': 'fresh: true\n' });
    await wc.git('rm', '-r', '--quiet', '--cached', 'deploy');
    await wc.write({ deploy: null });
    const forced = await wc.commit('rewritten history', { branch: 'main', force: true });
    const third = await fetchGit({ url, ref: { branch: 'main' } }, undefined, {
      cacheDir,
      lastRevision: second.revision,
    });
    expect(third).toMatchObject({ commit: forced, changed: true, revision: `main@sha1:${forced}` });
    await wc.close();
  });

  it('asks a server for its protocol once: later fetches go straight to ls-refs and fetch, and ask again after a failure', async () => {
    const proxy = await countingProxy({ host: anon.url.replace(/^http:\/\//, '') });
    try {
      const bare = anon.repoPath('remembered');
      const url = `http://${proxy.host}${new URL(await anon.createRepo('remembered')).pathname}`;
      const wc = await workingCopy(bare);
      await wc.write({ 'a.yaml': 'a: 1\n' });
      await wc.commit('a');
      const dir = join(cacheDir, 'remembered');
      const first = await fetchGit({ url, ref: { branch: 'main' } }, undefined, { cacheDir: dir });
      const asked = (): string[] => proxy.requests.splice(0).map((r) => r.replace(/^(\S+) \S*\/([^/?]+).*$/, '$1 $2'));
      expect(asked()).toEqual(['GET refs', 'POST git-upload-pack', 'POST git-upload-pack']);

      await wc.write({ 'a.yaml': 'a: 2\n' });
      const next = await wc.commit('a again');
      const second = await fetchGit({ url, ref: { branch: 'main' } }, undefined, {
        cacheDir: dir,
        lastRevision: first.revision,
      });
      expect(second).toMatchObject({ commit: next, changed: true, fetched: true });
      expect(asked()).toEqual(['POST git-upload-pack', 'POST git-upload-pack']);

      // The repository disappears: the remembered protocol is no longer trusted, the server is asked again, and the
      // error is the usual one.
      await rm(bare, { recursive: true, force: true });
      const gone = await failure(fetchGit({ url, ref: { branch: 'main' } }, undefined, { cacheDir: dir }));
      expect(gone.message).toContain(url);
      expect(asked()).toEqual(['POST git-upload-pack', 'GET refs']);
      await wc.close();
    } finally {
      await proxy.stop();
    }
  });

  it('heals a damaged cache by fetching again', async () => {
    const url = await anon.createRepo('healing');
    const wc = await workingCopy(anon.repoPath('healing'));
    await wc.write({ 'x.yaml': 'x: 1\n' });
    await wc.commit('x');
    const dir = join(cacheDir, 'healing');
    const first = await fetchGit({ url }, undefined, { cacheDir: dir }).catch(() => undefined);
    expect(first).toBeUndefined(); // no master branch: make it explicit below
    const ok = await fetchGit({ url, ref: { branch: 'main' } }, undefined, { cacheDir: dir });
    const packDir = join(ok.gitdir, 'objects', 'pack');
    for (const f of await readdir(packDir)) if (f.endsWith('.pack')) await truncate(join(packDir, f), 40);
    const y = await wc.commit('y');
    const healed = await fetchGit({ url, ref: { branch: 'main' } }, undefined, { cacheDir: dir });
    expect(healed.commit).toBe(y);
    await wc.close();
  });

  it('fails clearly when the server is down, times out, or the URL is not one Flux accepts', async () => {
    const down = await startGitServer();
    const url = await down.createRepo('gone');
    await down.close();
    const refused = await failure(fetchGit({ url }, undefined, { cacheDir }));
    expect(refused.reason).toBe('GitOperationFailed');
    expect(refused.message).toMatch(/cannot reach .*connection refused/);
    await rm(down.root, { recursive: true, force: true });

    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const slow = await failure(
      fetchGit({ url: `http://127.0.0.1:${port}/x.git` }, undefined, { cacheDir, timeoutMs: 300 }),
    );
    expect(slow.message).toContain('timed out after 0.3s');
    silent.closeAllConnections();
    silent.close();

    const scp = await failure(fetchGit({ url: 'git@github.com:org/repo.git' }, undefined, { cacheDir }));
    expect(scp).toMatchObject({ reason: 'URLInvalid', stalled: true });
    expect(scp.message).toContain('ssh://git@github.com/org/repo.git');
  });

  it('agrees with git about the fetched tree', async () => {
    const url = await anon.createRepo('agree');
    const wc = await workingCopy(anon.repoPath('agree'));
    await wc.write({ 'a/b/c.yaml': 'c\n', 'run.sh': { exec: '#!/bin/sh\n' } });
    const commit = await wc.commit('tree');
    const res = await fetchGit({ url, ref: { branch: 'main' } }, undefined, { cacheDir });
    const ours = (await exec('git', ['--git-dir', res.gitdir, 'ls-tree', '-r', commit])).stdout;
    const theirs = (await exec('git', ['-C', wc.dir, 'ls-tree', '-r', commit])).stdout;
    expect(ours).toBe(theirs);
    await wc.close();
  });
});
