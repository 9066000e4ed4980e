// The git side of ImageUpdateAutomation against the git server fixture (git's own http-backend): checkout ref kinds,
// the push branch created from the checkout, the refspec, push options as the server's hooks receive them, hook
// rejections, and OpenPGP-signed commits verified by the real `git verify-commit` with gpg.
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { generateKey } from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  GitUpdateError,
  type GitUpdateRequest,
  runGitUpdate,
} from '../../../main/controllers/imageupdateautomation/git-update.ts';
import { openpgpSigner } from '../../../main/controllers/imageupdateautomation/openpgp-signer.ts';
import { authFromSecret } from '../../../main/sources/git/git-auth.ts';
import { parseGitUrl } from '../../../main/sources/git/git-url.ts';
import { commitFiles, type GitServer, startGitServer } from '../../support/git-server.ts';
import { startSshGitFixture } from '../../support/ssh-git-server.ts';

let server: GitServer;
let work: string;
let n = 0;

const deploy = (tag: string): string =>
  [
    '# keep me',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: {name: app}',
    'spec:',
    '  template:',
    '    spec:',
    '      containers:',
    `        - image: reg.example.com/app:${tag} # {"$imagepolicy": "ns:app"}`,
    '',
  ].join('\n');

const git = (bare: string, ...args: string[]): string =>
  execFileSync('git', ['-C', bare, ...args])
    .toString()
    .trim();

/** A new repository with `apps/deploy.yaml` at 1.0.0 and an unrelated file, on main. */
async function repo(): Promise<{ url: string; bare: string; main: string }> {
  const name = `r${++n}`;
  const url = await server.createRepo(name);
  const bare = server.repoPath(name);
  const main = await commitFiles(
    bare,
    { 'apps/deploy.yaml': deploy('1.0.0'), 'README.md': 'hi\n' },
    { message: 'first' },
  );
  return { url, bare, main };
}

function request(url: string, over: Partial<GitUpdateRequest> = {}): GitUpdateRequest {
  return {
    dir: join(work, `clone-${++n}`),
    url,
    checkout: { branch: 'main' },
    pushBranch: 'main',
    policies: new Map([['ns:app', { name: 'reg.example.com/app', tag: '1.1.0' }]]),
    author: { name: 'Bot', email: 'bot@example.com' },
    message: () => 'update app',
    ...over,
  };
}

/** A pre-receive hook that records the push options it was given, and refuses when told to. */
async function recordPushOptions(bare: string): Promise<string> {
  const out = join(bare, 'received-options');
  git(bare, 'config', 'receive.advertisePushOptions', 'true');
  const hook = join(bare, 'hooks', 'pre-receive');
  await writeFile(
    hook,
    [
      '#!/bin/sh',
      `: > ${out}`,
      'i=0',
      'while [ "$i" -lt "${GIT_PUSH_OPTION_COUNT:-0}" ]; do',
      '  eval "echo \\"\\$GIT_PUSH_OPTION_$i\\"" >> ' + out,
      '  i=$((i + 1))',
      'done',
      `grep -q '^refuse$' ${out} && { echo "policy says no"; exit 1; }`,
      'exit 0',
      '',
    ].join('\n'),
  );
  await chmod(hook, 0o755);
  return out;
}

beforeAll(async () => {
  server = await startGitServer();
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-image-git-'));
});

afterAll(async () => {
  await server.close();
  await rm(server.root, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

describe('checkout refs', () => {
  it('checks out a tag, a semver range, a full ref name or a commit, and pushes to a new branch created from it', async () => {
    const { url, bare, main } = await repo();
    const tagged = await commitFiles(bare, { 'NOTES.md': 'v1.2.0\n' }, { message: 'release', tag: 'v1.2.0' });
    await commitFiles(bare, { 'NOTES.md': 'later\n' }, { message: 'later' });
    const cases: [GitUpdateRequest['checkout'], string][] = [
      [{ tag: 'v1.2.0' }, tagged],
      [{ semver: '>=1.0.0 <2.0.0' }, tagged],
      [{ name: 'refs/tags/v1.2.0' }, tagged],
      [{ commit: main }, main],
    ];
    for (const [i, [checkout, from]] of cases.entries()) {
      const branch = `auto-${i}`;
      const result = await runGitUpdate(request(url, { checkout, pushBranch: branch }));
      expect(result.status).toBe('pushed');
      if (result.status !== 'pushed') return;
      expect(result.head).toBe(from);
      expect(git(bare, 'rev-parse', branch)).toBe(result.commit);
      expect(git(bare, 'rev-parse', `${branch}^`)).toBe(from);
      expect(git(bare, 'show', `${branch}:apps/deploy.yaml`)).toBe(deploy('1.1.0').trimEnd());
    }
    // The checkout branch itself did not move.
    expect(git(bare, 'log', '-1', '--format=%s', 'main')).toBe('later');
  });

  it('builds on the push branch when it exists, and pushes the refspec destination too', async () => {
    const { url, bare } = await repo();
    const first = await runGitUpdate(request(url, { pushBranch: 'auto' }));
    expect(first.status).toBe('pushed');
    const second = await runGitUpdate(
      request(url, {
        pushBranch: 'auto',
        refspec: 'refs/heads/auto:refs/heads/mirror',
        policies: new Map([['ns:app', { name: 'reg.example.com/app', tag: '1.2.0' }]]),
      }),
    );
    expect(second.status).toBe('pushed');
    if (first.status !== 'pushed' || second.status !== 'pushed') return;
    expect(second.head).toBe(first.commit);
    expect(git(bare, 'rev-parse', 'auto')).toBe(second.commit);
    expect(git(bare, 'rev-parse', 'mirror')).toBe(second.commit);
    // Only the changed file is in the commit; the tree is what git itself checks as valid.
    expect(git(bare, 'show', '--name-only', '--format=', second.commit)).toBe('apps/deploy.yaml');
    expect(git(bare, 'fsck', '--no-dangling')).toBe('');
  });

  it('keeps the repository between runs and commits nothing when nothing changes', async () => {
    const { url, bare } = await repo();
    const req = request(url);
    const first = await runGitUpdate(req);
    const again = await runGitUpdate(req);
    expect(first.status).toBe('pushed');
    expect(again.status).toBe('no-change');
    expect(git(bare, 'rev-parse', 'main')).toBe(first.status === 'pushed' ? first.commit : '');
  });
});

describe('pushes', () => {
  it('sends git.push.options to the server, which hands them to its hooks', async () => {
    const { url, bare } = await repo();
    const received = await recordPushOptions(bare);
    const result = await runGitUpdate(
      request(url, { pushOptions: { 'merge_request.create': '', 'merge_request.target': 'main' } }),
    );
    expect(result.status).toBe('pushed');
    expect(await readFile(received, 'utf8')).toBe('merge_request.create\nmerge_request.target=main\n');
  });

  it('says so when the server does not take push options, and quotes a hook that refuses', async () => {
    const { url, bare, main } = await repo();
    const unsupported = runGitUpdate(request(url, { pushOptions: { ci: 'skip' } }));
    await expect(unsupported).rejects.toThrow(/does not support push options/);
    await recordPushOptions(bare);
    const refused = runGitUpdate(request(url, { pushOptions: { refuse: '' } }));
    await expect(refused).rejects.toBeInstanceOf(GitUpdateError);
    await expect(refused).rejects.toThrow(
      /refused the push: refs\/heads\/main: pre-receive hook declined \(.*policy says no/,
    );
    expect(git(bare, 'rev-parse', 'main')).toBe(main);
  });
});

describe('with credentials', () => {
  it('sends them on the fetch and on the push; wrong ones fail as authentication', async () => {
    const basic = { username: 'bot', password: 's3cret' };
    const locked = await startGitServer({ auth: { basic } });
    try {
      const url = await locked.createRepo('private');
      await commitFiles(locked.repoPath('private'), { 'apps/deploy.yaml': deploy('1.0.0') });
      const auth = authFromSecret(parseGitUrl(url), basic);
      const result = await runGitUpdate(request(url, { auth }));
      expect(result.status).toBe('pushed');
      if (result.status !== 'pushed') return;
      expect(git(locked.repoPath('private'), 'rev-parse', 'main')).toBe(result.commit);
      const wrong = authFromSecret(parseGitUrl(url), { ...basic, password: 'nope' });
      const failed = runGitUpdate(request(url, { auth: wrong }));
      await expect(failed).rejects.toMatchObject({ code: 'auth' });
      await expect(failed).rejects.toThrow(/HTTP 401/);
    } finally {
      await locked.close();
      await rm(locked.root, { recursive: true, force: true });
    }
  });
});

describe('over ssh:// (system git)', () => {
  it('fetches, pushes from the kept repository with the push options, and re-applies on a moved branch', async () => {
    const ssh = await startSshGitFixture({ 'apps/deploy.yaml': deploy('1.0.0') });
    try {
      const received = await recordPushOptions(ssh.bare);
      const auth = authFromSecret(parseGitUrl(ssh.url), {
        identity: ssh.keys.client ?? '',
        known_hosts: ssh.knownHosts,
      });
      let raced = false;
      const result = await runGitUpdate(
        request(ssh.url, {
          auth,
          pushOptions: { ci: 'skip' },
          message: async () => {
            if (!raced) {
              raced = true;
              await commitFiles(ssh.bare, { 'NOTES.md': 'theirs\n' }, { message: 'theirs' });
            }
            return 'update app';
          },
        }),
      );
      expect(result).toMatchObject({ status: 'pushed', attempts: 2 });
      if (result.status !== 'pushed') return;
      expect(git(ssh.bare, 'rev-parse', 'main')).toBe(result.commit);
      expect(git(ssh.bare, 'log', '-1', '--format=%s', `${result.commit}^`)).toBe('theirs');
      expect(git(ssh.bare, 'show', `${result.commit}:apps/deploy.yaml`)).toBe(deploy('1.1.0').trimEnd());
      expect(await readFile(received, 'utf8')).toBe('ci=skip\n');
    } finally {
      await ssh.close();
    }
  });
});

describe('signed commits', () => {
  it('signs with the OpenPGP key of the secret, and git verify-commit accepts the signature', async () => {
    const { url, bare } = await repo();
    const { privateKey, publicKey } = await generateKey({
      userIDs: [{ name: 'Bot', email: 'bot@example.com' }],
      passphrase: 'secret words',
      format: 'armored',
    });
    const sign = await openpgpSigner(privateKey, 'secret words');
    const result = await runGitUpdate(request(url, { sign }));
    expect(result.status).toBe('pushed');
    if (result.status !== 'pushed') return;

    const gnupg = await mkdtemp(join(tmpdir(), 'fluxdeck-gnupg-'));
    try {
      const env = { ...process.env, GNUPGHOME: gnupg };
      await chmod(gnupg, 0o700);
      execFileSync('gpg', ['--batch', '--quiet', '--import'], { input: publicKey, env, stdio: 'pipe' });
      const out = execFileSync('git', ['-C', bare, 'verify-commit', '--raw', result.commit], { env, stdio: 'pipe' });
      expect(out.toString()).toBe('');
      // git prints gpg's status lines to stderr; a good signature by our key is what it says.
      const status = execFileSync('sh', ['-c', `git -C ${bare} verify-commit --raw ${result.commit} 2>&1`], { env });
      expect(status.toString()).toMatch(/\[GNUPG:\] GOODSIG [0-9A-F]+ Bot <bot@example\.com>/);
      // A commit changed after signing does not verify: the signature covers the commit text.
      const tampered = git(bare, 'cat-file', 'commit', result.commit).replace('update app', 'other message');
      const forged = execFileSync('git', ['-C', bare, 'hash-object', '-t', 'commit', '-w', '--stdin'], {
        input: tampered,
      })
        .toString()
        .trim();
      expect(() => execFileSync('git', ['-C', bare, 'verify-commit', forged], { env, stdio: 'pipe' })).toThrow();
    } finally {
      await rm(gnupg, { recursive: true, force: true });
    }
  });
});
