import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authFromSecret } from '../../../main/sources/git/git-auth.ts';
import { parseGitUrl } from '../../../main/sources/git/git-url.ts';
import { Workspace } from '../../../main/sources/workspace/index.ts';
import { commitFiles } from '../../support/git-server.ts';
import { type SshGitFixture, startSshGitFixture } from '../../support/ssh-git-server.ts';

// isomorphic-git has no SSH transport: ssh:// work trees clone, fetch and push with the system git and OpenSSH.

const exec = promisify(execFile);
const AUTHOR = { name: 'Ada Editor', email: 'ada@example.test' };

describe('a work tree over ssh:// (system git + OpenSSH)', () => {
  let ssh: SshGitFixture;
  let dir: string;
  let identity: string;
  let other: string;
  let knownHosts: string;
  let url: string;
  let bare: string;

  beforeAll(async () => {
    ssh = await startSshGitFixture({ 'deploy/cm.yaml': 'kind: ConfigMap\n' }, { other: '' });
    ({ dir, url, knownHosts, bare } = ssh);
    identity = ssh.keys.client ?? '';
    other = ssh.keys.other ?? '';
  });
  afterAll(() => ssh.close());

  it('clones, commits and pushes; a moved server is detected and the commit re-applied; a wrong key is refused', async () => {
    const auth = authFromSecret(parseGitUrl(url), { identity, known_hosts: knownHosts });
    const ws = await Workspace.open(
      { url, branch: 'main' },
      { root: join(dir, 'workspaces'), auth, identity: () => Promise.resolve(AUTHOR) },
    );
    expect(await ws.files()).toEqual(['deploy/cm.yaml']);
    await ws.writeFile('deploy/cm.yaml', 'kind: ConfigMap\ndata: {a: "1"}\n');
    const first = await ws.commit({ message: 'add data', author: AUTHOR });
    if (first.status !== 'committed') throw new Error('commit failed');
    expect(await ws.push()).toEqual({ status: 'pushed', commit: first.commit });
    const head = async (): Promise<string> => (await exec('git', ['-C', bare, 'rev-parse', 'main'])).stdout.trim();
    expect(await head()).toBe(first.commit);

    await ws.writeFile('deploy/other.yaml', 'kind: Other\n');
    await ws.commit({ message: 'other', author: AUTHOR });
    const theirs = await commitFiles(bare, { 'README.md': 'hi\n' }, { message: 'server side' });
    expect(await ws.push()).toMatchObject({ status: 'remote-moved' });
    expect(await ws.fetchAndReapply()).toMatchObject({ status: 'reapplied', onto: theirs, commits: 1 });
    const pushed = await ws.push();
    expect(pushed.status).toBe('pushed');
    expect(await head()).toBe(pushed.commit);

    await ws.writeFile('deploy/third.yaml', 'kind: Third\n');
    const third = await ws.commit({ message: 'third', author: AUTHOR });
    ws.setAuth(authFromSecret(parseGitUrl(url), { identity: other, known_hosts: knownHosts }));
    const refused = await ws.push();
    expect(refused).toMatchObject({ status: 'rejected', reason: 'auth' });
    if (refused.status !== 'rejected' || third.status !== 'committed') return;
    expect(refused.message).toMatch(/ssh authentication to 127\.0\.0\.1 failed.*your commit is kept/);
    expect(refused.commit).toBe(third.commit);
    expect(await head()).toBe(pushed.commit);
  });
});
