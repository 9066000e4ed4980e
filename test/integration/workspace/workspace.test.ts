import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authFromSecret } from '../../../main/sources/git/git-auth.ts';
import { parseGitUrl } from '../../../main/sources/git/git-url.ts';
import { Workspace, WorkspaceError, type WorkspaceOptions, Workspaces } from '../../../main/sources/workspace/index.ts';
import { eventually } from '../../support/flux-fixture.ts';
import { commitFiles, type GitServer, startGitServer } from '../../support/git-server.ts';

const exec = promisify(execFile);
const AUTHOR = { name: 'Ada Editor', email: 'ada@example.test' };

const deployment = (replicas: number, image = 'nginx:1.27'): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${replicas}
  template:
    spec:
      containers:
        - name: web
          image: ${image}
`;

let anon: GitServer;
let basic: GitServer;
let bearer: GitServer;
let root: string;
let outside: string;
let n = 0;

const serverHead = async (bare: string): Promise<string> =>
  (await exec('git', ['-C', bare, 'rev-parse', 'main'])).stdout.trim();
const serverFile = async (bare: string, path: string): Promise<string> =>
  (await exec('git', ['-C', bare, 'show', `main:${path}`])).stdout;

/** A fresh repository on `server` with a first commit, and the options to open its work tree. */
async function repo(server: GitServer = anon): Promise<{ url: string; bare: string }> {
  const name = `fleet-${++n}`;
  const url = await server.createRepo(name);
  const bare = server.repoPath(name);
  await commitFiles(bare, { 'apps/deploy.yaml': deployment(1), 'README.md': '# fleet\n' }, { message: 'first' });
  return { url, bare };
}

const options = (over: Partial<WorkspaceOptions> = {}): WorkspaceOptions => ({
  root,
  identity: () => Promise.resolve(AUTHOR),
  timeoutMs: 30_000,
  ...over,
});

beforeAll(async () => {
  anon = await startGitServer();
  basic = await startGitServer({ auth: { basic: { username: 'ada', password: 's3cret' } } });
  bearer = await startGitServer({ auth: { bearer: 'tok-123' } });
  root = await mkdtemp(join(tmpdir(), 'fluxdeck-workspaces-'));
  outside = await mkdtemp(join(tmpdir(), 'fluxdeck-outside-'));
  await writeFile(join(outside, 'secret.txt'), 'do not read me\n');
});

afterAll(async () => {
  for (const s of [anon, basic, bearer]) {
    await s.close();
    await rm(s.root, { recursive: true, force: true });
  }
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe('a work tree for editing', () => {
  it('clones into an ordinary repository: git finds it clean and whole, with modes, links and the shallow tip', async () => {
    const { url, bare } = await repo();
    // An executable script and a symbolic link, committed with the git CLI (commitFiles writes plain files only).
    const work = await mkdtemp(join(tmpdir(), 'fluxdeck-modes-'));
    try {
      const git = (...args: string[]): Promise<{ stdout: string }> =>
        exec('git', ['-c', 'user.name=T', '-c', 'user.email=t@example.test', '-C', work, ...args]);
      await exec('git', ['clone', '--quiet', bare, work]);
      await writeFile(join(work, 'deploy.sh'), '#!/bin/sh\necho deploy\n');
      await chmod(join(work, 'deploy.sh'), 0o755);
      await symlink('apps/deploy.yaml', join(work, 'current.yaml'));
      await git('add', '--all');
      await git('commit', '--quiet', '-m', 'modes');
      await git('push', '--quiet', 'origin', 'main');
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    const ws = await Workspace.open({ url, branch: 'main' }, options());
    const inTree = (...args: string[]): Promise<string> =>
      exec('git', ['-C', ws.dir, ...args]).then((r) => r.stdout.trim());
    expect(await inTree('status', '--porcelain')).toBe('');
    await inTree('fsck', '--no-progress');
    expect(await inTree('rev-parse', '--is-shallow-repository')).toBe('true');
    expect(await inTree('rev-parse', 'HEAD', 'origin/main')).toBe(
      `${await serverHead(bare)}\n${await serverHead(bare)}`,
    );
    expect(await inTree('ls-files', '-s', 'deploy.sh', 'current.yaml')).toMatch(
      /^120000 [0-9a-f]{40} 0\tcurrent\.yaml\n100755 [0-9a-f]{40} 0\tdeploy\.sh$/,
    );
    expect((await ws.status()).changes).toEqual([]);
    expect(await readFile(join(ws.dir, 'current.yaml'), 'utf8')).toBe(deployment(1));

    // A commit keeps the executable bit, and leaves an index git finds clean.
    await ws.writeFile('deploy.sh', '#!/bin/sh\necho deploy v2\n');
    expect((await ws.commit({ message: 'v2', author: AUTHOR })).status).toBe('committed');
    expect(await inTree('status', '--porcelain')).toBe('');
    expect(await inTree('ls-files', '-s', 'deploy.sh')).toMatch(/^100755 /);
    expect(await inTree('ls-tree', 'HEAD', 'deploy.sh')).toMatch(/^100755 blob /);
    expect(await ws.push()).toMatchObject({ status: 'pushed' });
    await exec('git', ['-C', bare, 'fsck', '--no-progress', '--no-dangling']);
  });

  it('clones, edits, commits with the author and pushes; the server has the commit', async () => {
    const { url, bare } = await repo();
    const ws = await Workspace.open({ url, branch: 'main' }, options());
    expect(await ws.files()).toEqual(['README.md', 'apps/deploy.yaml']);
    expect(await ws.readFile('apps/deploy.yaml')).toBe(deployment(1));
    await ws.writeFile('apps/deploy.yaml', deployment(3));
    await ws.writeFile('apps/new/config.yaml', 'a: 1\n');
    await ws.deleteFile('README.md');
    const status = await ws.status();
    expect(status.changes).toEqual([
      { path: 'README.md', change: 'deleted' },
      { path: 'apps/deploy.yaml', change: 'modified' },
      { path: 'apps/new/config.yaml', change: 'added' },
    ]);
    expect(status.ahead).toBe(0);

    const committed = await ws.commit({ message: 'scale web to 3', author: AUTHOR });
    expect(committed.status).toBe('committed');
    if (committed.status !== 'committed') return;
    expect((await ws.status()).ahead).toBe(1);
    // The commit is what git would make of the same edits: its index is clean and writes the committed tree.
    const inTree = (...args: string[]): Promise<string> =>
      exec('git', ['-C', ws.dir, ...args]).then((r) => r.stdout.trim());
    expect(await inTree('status', '--porcelain')).toBe('');
    expect(await inTree('write-tree')).toBe(await inTree('rev-parse', 'HEAD^{tree}'));
    expect(await ws.push()).toEqual({ status: 'pushed', commit: committed.commit });
    await exec('git', ['-C', bare, 'fsck', '--no-progress', '--no-dangling']);
    expect(await serverHead(bare)).toBe(committed.commit);
    expect(await serverFile(bare, 'apps/deploy.yaml')).toBe(deployment(3));
    expect(await serverFile(bare, 'apps/new/config.yaml')).toBe('a: 1\n');
    await expect(serverFile(bare, 'README.md')).rejects.toThrow();
    const { stdout } = await exec('git', ['-C', bare, 'log', '-1', '--format=%an <%ae>|%s', 'main']);
    expect(stdout.trim()).toBe('Ada Editor <ada@example.test>|scale web to 3');
    expect(await ws.status()).toMatchObject({ ahead: 0, changes: [], remoteHead: committed.commit });
    expect(await ws.push()).toEqual({ status: 'up-to-date', commit: committed.commit });
  });

  it('blocks a commit with invalid YAML, naming file, line and column', async () => {
    const { url, bare } = await repo();
    const before = await serverHead(bare);
    const ws = await Workspace.open({ url, branch: 'main' }, options());
    await ws.writeFile(
      'apps/deploy.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  name: again\n',
    );
    await ws.writeFile('apps/other.yaml', 'a: [1, 2\n');
    const result = await ws.commit({ message: 'broken', author: AUTHOR });
    expect(result).toEqual({
      status: 'invalid',
      problems: [
        { path: 'apps/deploy.yaml', line: 5, column: 3, message: expect.stringMatching(/unique/i) },
        { path: 'apps/other.yaml', line: expect.any(Number), column: expect.any(Number), message: expect.any(String) },
      ],
    });
    expect(await ws.validate(['apps/deploy.yaml'])).toHaveLength(1);
    expect((await ws.status()).changes).toHaveLength(2);
    await ws.writeFile('apps/deploy.yaml', deployment(2));
    await ws.deleteFile('apps/other.yaml');
    expect((await ws.commit({ message: 'fixed', author: AUTHOR })).status).toBe('committed');
    expect(await serverHead(bare)).toBe(before);
    expect(await ws.commit({ message: 'again', author: AUTHOR })).toEqual({ status: 'nothing-to-commit' });
  });

  it('refuses paths that leave the work tree, touch .git, or go through symbolic links leading out', async () => {
    const { url } = await repo();
    const ws = await Workspace.open({ url, branch: 'main' }, options());
    await symlink(outside, join(ws.dir, 'escape'));
    await symlink(join(outside, 'secret.txt'), join(ws.dir, 'secret-link.yaml'));
    await symlink('apps/deploy.yaml', join(ws.dir, 'inner-link.yaml'));
    const refused = async (p: Promise<unknown>, why: RegExp): Promise<void> => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkspaceError);
      expect((err as WorkspaceError).code).toBe('path-refused');
      expect((err as WorkspaceError).message).toMatch(why);
    };
    await refused(ws.readFile('../../etc/passwd'), /'\.\.' is not allowed/);
    await refused(ws.readFile('apps/../../x'), /'\.\.' is not allowed/);
    await refused(ws.writeFile('/etc/passwd', 'x'), /relative/);
    await refused(ws.writeFile('.git/config', 'x'), /\.git/);
    await refused(ws.writeFile('apps/.GIT/hooks/pre-commit', 'x'), /\.git/);
    await refused(ws.readFile('escape/secret.txt'), /outside the work tree/);
    await refused(ws.writeFile('escape/new.yaml', 'x'), /outside the work tree/);
    await refused(ws.writeFile('escape/deeper/new.yaml', 'x'), /outside the work tree/);
    await refused(ws.readFile('secret-link.yaml'), /outside the work tree/);
    await refused(ws.writeFile('secret-link.yaml', 'x'), /symbolic link/);
    await refused(ws.deleteFile('escape'), /symbolic link/);
    await refused(ws.readFile(''), /empty/);
    // A link that stays inside may be read.
    expect(await ws.readFile('inner-link.yaml')).toBe(deployment(1));
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('do not read me\n');
    await expect(ws.readFile('apps/missing.yaml')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('refuses to clone a commit whose trees name `..` or `.git`, and writes nothing outside', async () => {
    // Trees git itself would never make (git mktree refuses these names), written as raw objects into the server's
    // repository: a clone that joined the names to its directory would write where the server chose.
    for (const [name, escapeName] of [
      ['..', `escaped-${++n}`],
      ['.GIT', 'hooks'],
    ] as const) {
      const repoName = `evil-${++n}`;
      const url = await anon.createRepo(repoName);
      const bare = anon.repoPath(repoName);
      const object = async (type: string, data: Buffer): Promise<string> => {
        const child = exec('git', ['-C', bare, 'hash-object', '-w', '--literally', '-t', type, '--stdin']);
        child.child.stdin?.end(data);
        return (await child).stdout.trim();
      };
      const entry = (mode: string, entryName: string, oid: string): Buffer =>
        Buffer.concat([Buffer.from(`${mode} ${entryName}\0`), Buffer.from(oid, 'hex')]);
      const blob = await object('blob', Buffer.from('written by the server\n'));
      const inner = await object('tree', entry('100644', escapeName, blob));
      const top = await object('tree', entry('40000', name, inner));
      const commit = (
        await exec('git', ['-C', bare, '-c', 'user.name=x', '-c', 'user.email=x@y', 'commit-tree', top, '-m', 'evil'])
      ).stdout.trim();
      await exec('git', ['-C', bare, 'update-ref', 'refs/heads/main', commit]);

      const err = await Workspace.open({ url, branch: 'main' }, options()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkspaceError);
      expect((err as WorkspaceError).code).toBe('path-refused');
      expect((err as WorkspaceError).message).toContain(`${name}/${escapeName}`);
      expect(await readdir(root)).not.toContain(escapeName);
      expect((await readdir(root)).filter((d) => d.includes(repoName))).toEqual([]);
    }
  });

  it('detects that the server moved, and fetch-and-reapply puts the local commit on the new head', async () => {
    const { url, bare } = await repo();
    const ws = await Workspace.open({ url, branch: 'main' }, options());
    await ws.writeFile('apps/deploy.yaml', deployment(4));
    const mine = await ws.commit({ message: 'scale to 4', author: AUTHOR });
    const theirs = await commitFiles(bare, { 'README.md': '# fleet, edited on the server\n' }, { message: 'readme' });

    const pushed = await ws.push();
    expect(pushed).toMatchObject({ status: 'remote-moved', message: expect.stringMatching(/fetch them and re-apply/) });
    expect(await serverHead(bare)).toBe(theirs);
    expect((await ws.status()).ahead).toBe(1);

    const reapplied = await ws.fetchAndReapply();
    expect(reapplied).toMatchObject({ status: 'reapplied', onto: theirs, commits: 1, overwritten: [] });
    expect(await ws.readFile('README.md')).toBe('# fleet, edited on the server\n');
    expect(await ws.readFile('apps/deploy.yaml')).toBe(deployment(4));
    expect(await ws.push()).toMatchObject({ status: 'pushed' });
    const { stdout } = await exec('git', ['-C', bare, 'log', '--format=%s|%an', 'main']);
    expect(stdout.trim().split('\n')).toEqual(['scale to 4|Ada Editor', 'readme|Fluxdeck Test', 'first|Fluxdeck Test']);
    expect(await serverFile(bare, 'apps/deploy.yaml')).toBe(deployment(4));
    expect(mine.status).toBe('committed');
    expect(await ws.fetchAndReapply()).toEqual({ status: 'up-to-date', head: await serverHead(bare) });
  });

  it('reports a conflict and keeps the edits; abort goes back to the server with a backup of them', async () => {
    const { url, bare } = await repo();
    const ws = await Workspace.open({ url, branch: 'main' }, options());
    await ws.writeFile('apps/deploy.yaml', deployment(5));
    await ws.writeFile('apps/extra.yaml', 'extra: true\n');
    const mine = await ws.commit({ message: 'scale to 5', author: AUTHOR });
    if (mine.status !== 'committed') throw new Error('commit failed');
    const theirs = await commitFiles(bare, { 'apps/deploy.yaml': deployment(7) }, { message: 'scale to 7' });
    expect((await ws.push()).status).toBe('remote-moved');

    const conflict = await ws.fetchAndReapply();
    expect(conflict).toMatchObject({
      status: 'conflict',
      head: mine.commit,
      onto: theirs,
      files: ['apps/deploy.yaml'],
      message: expect.stringMatching(/apps\/deploy\.yaml.*your commits and edits are kept/),
    });
    expect((await ws.status()).head).toBe(mine.commit);
    expect(await ws.readFile('apps/deploy.yaml')).toBe(deployment(5));

    // An uncommitted edit on top, to be backed up too.
    await ws.writeFile('apps/wip.yaml', 'wip: 1\n');
    const aborted = await ws.abort();
    expect(aborted).toMatchObject({ status: 'aborted', head: theirs, fetched: true });
    expect(await ws.readFile('apps/deploy.yaml')).toBe(deployment(7));
    expect(await ws.files()).toEqual(['README.md', 'apps/deploy.yaml']);
    expect((await ws.status()).changes).toEqual([]);
    const backup = aborted.backup;
    expect(backup?.files).toEqual([
      { path: 'apps/deploy.yaml', change: 'modified' },
      { path: 'apps/extra.yaml', change: 'added' },
      { path: 'apps/wip.yaml', change: 'added' },
    ]);
    expect(backup?.commits).toEqual([{ oid: mine.commit, message: 'scale to 5' }]);
    expect(await readFile(join(backup?.dir ?? '', 'apps/deploy.yaml'), 'utf8')).toBe(deployment(5));
    expect(await readFile(join(backup?.dir ?? '', 'apps/wip.yaml'), 'utf8')).toBe('wip: 1\n');
    const record = JSON.parse(await readFile(join(backup?.dir ?? '', 'backup.json'), 'utf8')) as { head: string };
    expect(record.head).toBe(mine.commit);
    // The discarded commit stays reachable in the work tree.
    const { stdout } = await exec('git', ['-C', ws.dir, 'log', '-1', '--format=%s', backup?.ref ?? '']);
    expect(stdout.trim()).toBe('scale to 5');
    expect(await serverHead(bare)).toBe(theirs);
  });

  it('after a conflict, keepMine re-applies the local version of the files both sides changed, and says which', async () => {
    const { url, bare } = await repo();
    const ws = await Workspace.open({ url, branch: 'main' }, options());
    await ws.writeFile('apps/deploy.yaml', deployment(5));
    await ws.commit({ message: 'scale to 5', author: AUTHOR });
    await ws.writeFile('apps/extra.yaml', 'extra: true\n');
    await ws.commit({ message: 'extra', author: AUTHOR });
    const theirs = await commitFiles(
      bare,
      { 'apps/deploy.yaml': deployment(7), 'README.md': 'server readme\n' },
      { message: 'scale to 7' },
    );
    expect((await ws.fetchAndReapply()).status).toBe('conflict');
    const kept = await ws.fetchAndReapply({ keepMine: true });
    expect(kept).toMatchObject({ status: 'reapplied', onto: theirs, commits: 2, overwritten: ['apps/deploy.yaml'] });
    expect(await ws.readFile('apps/deploy.yaml')).toBe(deployment(5));
    expect(await ws.readFile('README.md')).toBe('server readme\n');
    expect(await ws.push()).toMatchObject({ status: 'pushed' });
    expect(await serverFile(bare, 'apps/deploy.yaml')).toBe(deployment(5));
    expect(await serverFile(bare, 'apps/extra.yaml')).toBe('extra: true\n');
  });

  it('a push refused for a wrong password keeps the local commit and says why; the right one pushes it', async () => {
    const { url, bare } = await repo(basic);
    const good = authFromSecret(parseGitUrl(url), { username: 'ada', password: 's3cret' });
    const wrong = authFromSecret(parseGitUrl(url), { username: 'ada', password: 'nope' });
    await expect(Workspace.open({ url, branch: 'main' }, options({ auth: wrong }))).rejects.toMatchObject({
      code: 'auth',
      message: expect.stringMatching(/authentication failed \(HTTP 401\)/),
    });
    const ws = await Workspace.open({ url, branch: 'main' }, options({ auth: good }));
    await ws.writeFile('apps/deploy.yaml', deployment(6));
    const mine = await ws.commit({ message: 'scale to 6', author: AUTHOR });
    if (mine.status !== 'committed') throw new Error('commit failed');
    ws.setAuth(wrong);
    const refused = await ws.push();
    expect(refused).toMatchObject({ status: 'rejected', reason: 'auth', commit: mine.commit });
    if (refused.status !== 'rejected') return;
    expect(refused.message).toMatch(/authentication failed \(HTTP 401\).*your commit is kept/);
    expect(refused.message).not.toContain('nope');
    expect(await ws.status()).toMatchObject({ head: mine.commit, ahead: 1 });
    ws.setAuth(good);
    expect(await ws.push()).toEqual({ status: 'pushed', commit: mine.commit });
    expect(await serverHead(bare)).toBe(mine.commit);
  });

  it('pushes with a bearer token', async () => {
    const { url, bare } = await repo(bearer);
    const auth = authFromSecret(parseGitUrl(url), { bearerToken: 'tok-123' });
    const ws = await Workspace.open({ url, branch: 'main' }, options({ auth }));
    await ws.writeFile('apps/deploy.yaml', deployment(8));
    const mine = await ws.commit({ message: 'scale to 8', author: AUTHOR });
    expect(await ws.push()).toMatchObject({ status: 'pushed' });
    expect(mine.status === 'committed' && (await serverHead(bare)) === mine.commit).toBe(true);
  });

  it('a push refused by a server hook keeps the local commit and quotes the hook', async () => {
    const { url, bare } = await repo();
    const hook = join(bare, 'hooks', 'pre-receive');
    await writeFile(hook, '#!/bin/sh\necho "changes to main need a review" >&2\nexit 1\n');
    await chmod(hook, 0o755);
    const ws = await Workspace.open({ url, branch: 'main' }, options());
    await ws.writeFile('apps/deploy.yaml', deployment(9));
    const mine = await ws.commit({ message: 'scale to 9', author: AUTHOR });
    const before = await serverHead(bare);
    const refused = await ws.push();
    expect(refused).toMatchObject({ status: 'rejected', reason: 'hook' });
    if (refused.status !== 'rejected' || mine.status !== 'committed') return;
    expect(refused.message).toMatch(/refused the push to main: pre-receive hook declined/);
    expect(refused.message).toContain('changes to main need a review');
    expect(await serverHead(bare)).toBe(before);
    expect((await ws.status()).head).toBe(mine.commit);
  });

  it('update() follows the server when there is nothing local, and says so when there is', async () => {
    const { url, bare } = await repo();
    const ws = await Workspace.open({ url, branch: 'main' }, options());
    const theirs = await commitFiles(bare, { 'README.md': 'new\n' }, { message: 'server side' });
    expect(await ws.update()).toEqual({ status: 'fast-forwarded', head: theirs });
    expect(await ws.readFile('README.md')).toBe('new\n');
    await ws.writeFile('README.md', 'mine\n');
    expect(await ws.update()).toEqual({ status: 'up-to-date', head: theirs });
    const later = await commitFiles(bare, { 'apps/deploy.yaml': deployment(2) }, { message: 'server again' });
    expect(await ws.update()).toEqual({
      status: 'local-changes',
      head: theirs,
      remoteHead: later,
      ahead: 0,
      changes: 1,
    });
    expect(await ws.readFile('README.md')).toBe('mine\n');
  });

  it('a reopened work tree finds the edits other programs made, as git status does, from the index stats', async () => {
    const { url, bare } = await repo();
    await commitFiles(
      bare,
      { '.gitignore': 'build/\n', 'apps/a.yaml': 'a: 1\n', 'apps/b.yaml': 'b: 1\n', 'apps/c.yaml': 'c: 1\n' },
      { message: 'more' },
    );
    const ws = await Workspace.open({ url, branch: 'main' }, options());
    // Edited behind the workspace's back, some at once (the same instant the index was written: "racily clean"),
    // one with the same size as before, one rewritten with its old content (new stats, nothing changed).
    await writeFile(join(ws.dir, 'apps/a.yaml'), 'a: 2\n');
    await writeFile(join(ws.dir, 'apps/b.yaml'), 'b: 1\n');
    await rm(join(ws.dir, 'apps/c.yaml'));
    await writeFile(join(ws.dir, 'apps/new.yaml'), 'new: 1\n');
    await mkdir(join(ws.dir, 'build'), { recursive: true });
    await writeFile(join(ws.dir, 'build/out.yaml'), 'ignored: 1\n');
    await writeFile(join(ws.dir, 'README.md'), '# fleeT\n');
    const again = await Workspace.open({ url, branch: 'main' }, options());
    const expected = [
      { path: 'README.md', change: 'modified' },
      { path: 'apps/a.yaml', change: 'modified' },
      { path: 'apps/c.yaml', change: 'deleted' },
      { path: 'apps/new.yaml', change: 'added' },
    ];
    expect((await again.status()).changes).toEqual(expected);
    const porcelain = (await exec('git', ['-C', again.dir, 'status', '--porcelain'])).stdout;
    expect(porcelain.split('\n').filter(Boolean).sort()).toEqual(
      [' M README.md', ' M apps/a.yaml', ' D apps/c.yaml', '?? apps/new.yaml'].sort(),
    );
    // After git refreshed the index (its own nanosecond stats), the answer stays the same.
    const third = await Workspace.open({ url, branch: 'main' }, options());
    expect((await third.status()).changes).toEqual(expected);
  });

  it('shares one work tree per URL and branch, and reopens an existing clone without cloning again', async () => {
    const { url } = await repo();
    const workspaces = new Workspaces({ root, identity: () => Promise.resolve(AUTHOR) });
    const [a, b] = await Promise.all([
      workspaces.open({ url, branch: 'main' }),
      workspaces.open({ url, branch: 'main' }),
    ]);
    expect(a).toBe(b);
    // Cloned just now: opening it need not fetch again, once.
    expect(a.takeFreshClone()).toBe(true);
    expect(a.takeFreshClone()).toBe(false);
    await a.writeFile('apps/deploy.yaml', deployment(10));
    const again = await Workspace.open({ url, branch: 'main' }, options());
    expect(again.dir).toBe(a.dir);
    expect(again.takeFreshClone()).toBe(false);
    expect((await again.status()).changes).toEqual([{ path: 'apps/deploy.yaml', change: 'modified' }]);
    await expect(Workspace.open({ url, branch: 'no such branch' }, options())).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    await expect(Workspace.open({ url, branch: 'missing' }, options())).rejects.toBeInstanceOf(WorkspaceError);
  });

  it('a cancelled clone or push drops its request on a stalled server, leaves no partial clone, keeps the commit', async () => {
    const { url, bare } = await repo();
    const workspaces = new Workspaces({ root, identity: () => Promise.resolve(AUTHOR) });
    /** Starts `op` with a signal against a stalled server, cancels once its request arrived, and lets it go. */
    const cancelled = async <T>(op: (signal: AbortSignal) => Promise<T>): Promise<PromiseSettledResult<T>> => {
      const before = anon.abandoned;
      const held = anon.hold();
      const ctl = new AbortController();
      const running = op(ctl.signal);
      await held.arrived;
      ctl.abort();
      const [settled] = await Promise.allSettled([running]);
      // The request itself went away: the operation did not run on in the background.
      await eventually('the request to be dropped', () => Promise.resolve(anon.abandoned > before || undefined));
      held.release();
      return settled;
    };

    const clone = await cancelled((signal) => workspaces.open({ url, branch: 'main' }, { signal }));
    expect(clone).toMatchObject({ status: 'rejected', reason: { code: 'network' } });
    expect((await readdir(root)).filter((d) => d.includes('.cloning-'))).toEqual([]);
    // Not remembered as opened: the next open clones.
    const ws = await workspaces.open({ url, branch: 'main' });
    await ws.writeFile('apps/deploy.yaml', deployment(4));
    const committed = await ws.commit({ message: 'scale web to 4', author: AUTHOR });
    const first = await serverHead(bare);

    const push = await cancelled((signal) => ws.push({ signal }));
    expect(push).toMatchObject({ status: 'fulfilled', value: { status: 'rejected', reason: 'network' } });
    expect(await serverHead(bare)).toBe(first);
    expect((await ws.status()).ahead).toBe(1);
    expect(await ws.push()).toMatchObject({ status: 'pushed', commit: (committed as { commit: string }).commit });
  });
});
