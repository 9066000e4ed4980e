import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authFromSecret, type GitAuth } from '../../../main/sources/git/git-auth.ts';
import { parseGitUrl } from '../../../main/sources/git/git-url.ts';
import { Workspace } from '../../../main/sources/workspace/index.ts';
import { type GitServer, startGitServer } from '../../support/git-server.ts';
import { type SshGitFixture, startSshGitFixture } from '../../support/ssh-git-server.ts';

// A work tree of a branch the server does not have yet: an empty repository (no commits, no branch), or a new branch
// of a repository that has others. The branch starts unborn, the first commit creates it (with no parent, as
// `flux bootstrap` does) and the push creates it on the server. Over http(s) (isomorphic-git) and ssh:// (system git).

const exec = promisify(execFile);
const AUTHOR = { name: 'Ada Editor', email: 'ada@example.test' };

let http: GitServer;
let ssh: SshGitFixture;
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'fluxdeck-ws-new-branch-'));
  http = await startGitServer();
  ssh = await startSshGitFixture({ 'apps/app.yaml': 'kind: ConfigMap\n' });
});
afterAll(async () => {
  await http.close();
  await ssh.close();
  await rm(root, { recursive: true, force: true });
  await rm(http.root, { recursive: true, force: true });
});

const git = async (bare: string, ...args: string[]): Promise<string> =>
  (await exec('git', ['-C', bare, ...args])).stdout.trim();

async function firstCommitCreatesBranch(
  url: string,
  bare: string,
  branch: string,
  auth: GitAuth | undefined,
): Promise<void> {
  const opts = { root: join(root, String(Math.random())), identity: () => Promise.resolve(AUTHOR) };
  const ws = await Workspace.open({ url, branch, startBranch: true }, { ...opts, ...(auth ? { auth } : {}) });
  expect(await ws.files()).toEqual([]);
  expect(await ws.status()).toMatchObject({ branch, head: '', remoteHead: '', ahead: 0, changes: [] });
  expect(await ws.update()).toEqual({ status: 'up-to-date', head: '' });
  await ws.writeFile('clusters/a/flux-system/gotk-sync.yaml', 'kind: GitRepository\n');
  const committed = await ws.commit({ message: 'first', author: AUTHOR });
  if (committed.status !== 'committed') throw new Error(`commit: ${committed.status}`);
  expect(await ws.status()).toMatchObject({ head: committed.commit, remoteHead: '', ahead: 1 });
  // Still not on the server: update and re-apply leave the local commit alone.
  expect(await ws.update()).toMatchObject({ status: 'local-changes', ahead: 1 });
  expect(await ws.fetchAndReapply()).toEqual({ status: 'up-to-date', head: committed.commit });
  expect(await ws.push()).toEqual({ status: 'pushed', commit: committed.commit });

  expect(await git(bare, 'rev-parse', branch)).toBe(committed.commit);
  expect(await git(bare, 'rev-list', '--parents', '-n', '1', branch)).toBe(committed.commit);
  expect(await git(bare, 'ls-tree', '-r', '--name-only', branch)).toBe('clusters/a/flux-system/gotk-sync.yaml');
  // Opened again, it is an ordinary work tree of the branch.
  const again = await Workspace.open({ url, branch }, { ...opts, ...(auth ? { auth } : {}) });
  expect(await again.update()).toEqual({ status: 'up-to-date', head: committed.commit });
  expect(await again.push()).toEqual({ status: 'up-to-date', commit: committed.commit });
}

describe('a work tree of a branch the server does not have yet', () => {
  it('is refused (not-found) unless asked to start the branch', async () => {
    const url = await http.createRepo('empty-refused');
    await expect(
      Workspace.open({ url, branch: 'main' }, { root: join(root, 'refused'), identity: () => Promise.resolve(AUTHOR) }),
    ).rejects.toMatchObject({ code: 'not-found', message: `${url} has no branch main; check the branch name` });
  });

  it('over http: an empty repository gets its first commit on the branch', async () => {
    const url = await http.createRepo('empty-http');
    const bare = http.repoPath('empty-http');
    expect(await git(bare, 'for-each-ref')).toBe('');
    await firstCommitCreatesBranch(url, bare, 'main', undefined);
  });

  it('over ssh: an empty repository, and a new branch beside an existing one', async () => {
    const auth = authFromSecret(parseGitUrl(ssh.url), { identity: ssh.keys.client, known_hosts: ssh.knownHosts });
    const bare = join(ssh.dir, 'repos', 'empty.git');
    await exec('git', ['init', '--bare', '--quiet', '--initial-branch=main', bare]);
    await firstCommitCreatesBranch(ssh.url.replace('/app.git', '/empty.git'), bare, 'main', auth);

    const main = await git(ssh.bare, 'rev-parse', 'main');
    await firstCommitCreatesBranch(ssh.url, ssh.bare, 'staging', auth);
    expect(await git(ssh.bare, 'rev-parse', 'main')).toBe(main);
  });
});
