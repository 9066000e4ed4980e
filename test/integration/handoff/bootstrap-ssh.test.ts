import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import { generateSshKeyPair } from '../../../main/sources/git/ssh-keys.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { type RunningCluster, startCluster } from '../../cluster/control-plane.ts';
import { runCli, startCli } from '../../support/cli-process.ts';
import { clientFor } from '../../support/flux-fixture.ts';
import { type SshGitFixture, startSshGitFixture } from '../../support/ssh-git-server.ts';

// `fluxdeck bootstrap git` over SSH into the SSH git server (public-key auth, real git-receive-pack) and a real control
// plane: a key the server refuses, a bootstrap that generates a deploy key and waits until the "user" adds it to the
// repository, the same again (key kept, nothing pushed), a changed host key, and repositories or branches that do not
// exist yet. What was pushed is read back with the git CLI from the bare repository.

const exec = promisify(execFile);
const NS = 'flux-system';
const LOCKED_PASSPHRASE = 'open sesame';

type Secret = KubeObject & { data: Record<string, string> };

let c: RunningCluster;
let client: ClusterClient;
let git: SshGitFixture;
let dataDir: string;
let userKey: string;
let strangerKey: string;
let lockedKey: string;
/** The CLI's HOME: its ~/.ssh/known_hosts is the user's, which bootstrap consults (never the real one here). */
let home: string;
const dirs: string[] = [];

const args = (url: string, branch: string, path: string, key: string, ...extra: string[]): string[] => [
  'bootstrap',
  'git',
  '--url',
  url,
  '--branch',
  branch,
  '--path',
  path,
  '--private-key-file',
  key,
  '--kubeconfig',
  c.kubeconfig,
  '--data-dir',
  dataDir,
  '--identity',
  'bootstrap-ssh-test',
  '--timeout',
  '2m',
  ...extra,
];
const rev = async (bare: string, ref: string): Promise<string | undefined> =>
  exec('git', ['-C', bare, 'rev-parse', '--verify', '--quiet', ref]).then(
    (r) => r.stdout.trim(),
    () => undefined,
  );
const show = async (bare: string, spec: string): Promise<string> =>
  (await exec('git', ['-C', bare, 'show', spec])).stdout;
const secretOf = (namespace: string): Promise<Secret | undefined> =>
  client.tryGet<Secret>({ apiVersion: 'v1', kind: 'Secret', namespace, name: 'flux-system' });
const text = (s: Secret | undefined, key: string): string => Buffer.from(s?.data[key] ?? '', 'base64').toString();

const cli = (cliArgs: string[]): ReturnType<typeof runCli> => runCli(cliArgs, { HOME: home });

/** Runs a bootstrap that waits for its deploy key, and adds the key to the server when it is printed. */
async function bootstrapAddingKey(cliArgs: string[], namespace = NS): Promise<{ code: number | null; output: string }> {
  const p = startCli(cliArgs, { HOME: home });
  try {
    const m = await p.waitFor(/public key: (\S+ \S+)/, 90_000);
    await p.waitFor(/◎ add the public key above to ssh:\/\/\S+ as a deploy key/);
    // Bootstrap waits for the key before the sync objects exist: their source could not fetch yet.
    expect(await client.tryGet({ ...fluxKinds.GitRepository, namespace, name: 'flux-system' })).toBeUndefined();
    git.authorize(m[1] ?? '');
    const code = await p.exited;
    return { code, output: p.output() };
  } finally {
    await p.kill();
  }
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-bootstrap-ssh-cluster-'));
  dataDir = await mkdtemp(join(tmpdir(), 'fluxdeck-bootstrap-ssh-'));
  dirs.push(dir, dataDir);
  c = await startCluster({ name: 'bootstrap-ssh', dir, tier: 'api', ownerPid: process.pid });
  client = await clientFor(c.kubeconfig);
  git = await startSshGitFixture(
    {
      'clusters/test/apps/podinfo.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: podinfo\n  namespace: flux-system\ndata:\n  v: "1"\n',
    },
    { stranger: '', locked: LOCKED_PASSPHRASE },
  );
  userKey = join(dataDir, 'user-key');
  strangerKey = join(dataDir, 'stranger-key');
  await writeFile(userKey, git.keys.client ?? '', { mode: 0o600 });
  await writeFile(strangerKey, git.keys.stranger ?? '', { mode: 0o600 });
  lockedKey = join(git.dir, 'locked');
  home = join(dataDir, 'home');
  await mkdir(join(home, '.ssh'), { recursive: true });
});
afterAll(async () => {
  client.close();
  await git.close();
  await c.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('fluxdeck bootstrap git over SSH (desktop-reconciled)', () => {
  it('refuses a key the server does not know, naming it, before writing anything', async () => {
    const before = await rev(git.bare, 'main');
    const r = await cli(args(git.url, 'main', 'clusters/test', strangerKey));
    expect(r.code).toBe(1);
    expect(r.output).toMatch(
      /✗ cannot clone .*app\.git: the server refused the SSH private key given for the push \(ED25519 SHA256:/,
    );
    expect(r.output).not.toContain('PRIVATE KEY');
    expect(await rev(git.bare, 'main')).toBe(before);
    expect(await client.tryGet({ apiVersion: 'v1', kind: 'Namespace', name: NS })).toBeUndefined();
  });

  it("refuses a host key that contradicts the user's ~/.ssh/known_hosts, before writing anything", async () => {
    const other = generateSshKeyPair({ algorithm: 'ed25519' }).publicKey.trim().split(' ').slice(0, 2).join(' ');
    const userKnownHosts = join(home, '.ssh', 'known_hosts');
    await writeFile(userKnownHosts, `github.com ${other}\n[127.0.0.1]:${git.port} ${other}\n`);
    try {
      const r = await cli(args(git.url, 'main', 'clusters/test', userKey));
      expect(r.code).toBe(1);
      expect(r.output).toMatch(
        /✗ the SSH host key of \[127\.0\.0\.1\]:\d+ is not the one in your ~\/\.ssh\/known_hosts: the server presents ED25519 SHA256:\S+, your known_hosts has ED25519 SHA256:\S+\..*ssh-keygen -R/s,
      );
      expect(await client.tryGet({ apiVersion: 'v1', kind: 'Namespace', name: NS })).toBeUndefined();
    } finally {
      await rm(userKnownHosts);
    }
  });

  it('refuses an encrypted-looking or broken key file with what is wrong', async () => {
    const broken = join(dataDir, 'broken-key');
    await writeFile(broken, '-----BEGIN OPENSSH PRIVATE KEY-----\nnot a key\n-----END OPENSSH PRIVATE KEY-----\n');
    const r = await cli(args(git.url, 'main', 'clusters/test', broken));
    expect(r.code).toBe(1);
    expect(r.output).toContain(
      '✗ the SSH private key given for the push: cannot use the SSH private key: it is not a private key OpenSSH can read',
    );
    const locked = await cli(args(git.url, 'main', 'clusters/test', lockedKey));
    expect(locked.output).toContain('cannot use the SSH private key: it is encrypted: give its passphrase');
    const wrong = await cli(args(git.url, 'main', 'clusters/test', lockedKey, '--password', 'not it'));
    expect(wrong.output).toContain('cannot use the SSH private key: the passphrase is wrong');
    expect(wrong.output).not.toContain('not it');
    expect([locked.code, wrong.code]).toEqual([1, 1]);
    expect(await client.tryGet({ apiVersion: 'v1', kind: 'Namespace', name: NS })).toBeUndefined();
  });

  it('pushes flux-system, stores a new deploy key with known_hosts, waits for it and reconciles to Ready', async () => {
    const r = await bootstrapAddingKey(args(git.url, 'main', 'clusters/test', userKey));
    expect(r.output).toMatch(/✔ host key of 127\.0\.0\.1:\d+ is ED25519 SHA256:\S+: trusted on first use/);
    expect(r.output).toContain('✔ committed sync manifests to main');
    expect(r.output).toContain('✔ pushed to main');
    expect(r.output).toMatch(/✔ generated a deploy key in Secret flux-system\/flux-system \(ECDSA SHA256:/);
    expect(r.output).toMatch(/◎ add the public key above to ssh:\/\/.* as a deploy key/);
    expect(r.output).toContain('✔ 127.0.0.1 accepts the deploy key');
    expect(r.output).toContain('✔ bootstrap finished');
    expect(r.code).toBe(0);

    const secret = await secretOf(NS);
    expect(Object.keys(secret?.data ?? {}).sort()).toEqual(['identity', 'identity.pub', 'known_hosts']);
    expect(text(secret, 'identity')).toMatch(/^-----BEGIN EC PRIVATE KEY-----\n/);
    expect(text(secret, 'identity.pub')).toMatch(/^ecdsa-sha2-nistp384 AAAA\S+\n$/);
    expect(text(secret, 'known_hosts')).toBe(git.knownHosts);
    // Neither private key is ever printed.
    expect(r.output).not.toContain('PRIVATE KEY');
    expect(r.output).not.toContain(text(secret, 'identity').split('\n')[1]);
    expect(r.output).not.toContain((git.keys.client ?? '').split('\n')[1]);

    const head = await rev(git.bare, 'main');
    const sync = await show(git.bare, 'main:clusters/test/flux-system/gotk-sync.yaml');
    expect(sync).toContain(`  url: ${git.url}\n`);
    expect(sync).toMatch(/secretRef:\n\s+name: flux-system\n/);
    expect(await show(git.bare, 'main:clusters/test/flux-system/kustomization.yaml')).toContain('- gotk-sync.yaml');
    expect(await show(git.bare, 'main~1:clusters/test/apps/podinfo.yaml')).toContain('name: podinfo');
    // Fluxdeck's GitRepository fetched with the Secret's deploy key (the only key it has) and flux-system applied it.
    const repo = await client.get<KubeObject & { status?: { artifact?: { revision?: string } } }>({
      ...fluxKinds.GitRepository,
      namespace: NS,
      name: 'flux-system',
    });
    expect(repo.status?.artifact?.revision).toBe(`main@sha1:${head}`);
    const ks = await client.get<KubeObject & { status?: { lastAppliedRevision?: string } }>({
      ...fluxKinds.Kustomization,
      namespace: NS,
      name: 'flux-system',
    });
    expect(ks.status?.lastAppliedRevision).toBe(`main@sha1:${head}`);
    expect(await client.tryGet({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'podinfo' })).toBeDefined();
  });

  it('runs again over the existing bootstrap: same deploy key, nothing pushed', async () => {
    const before = await rev(git.bare, 'main');
    const secret = await secretOf(NS);
    const r = await cli(args(git.url, 'main', 'clusters/test', userKey, '--ssh-key-algorithm', 'ed25519'));
    expect(r.output).toMatch(/✔ host key of 127\.0\.0\.1:\d+ \(ED25519 SHA256:\S+\) matches known_hosts in Secret/);
    expect(r.output).toContain('✔ sync manifests are up to date in main');
    expect(r.output).toContain('✔ main already has it');
    expect(r.output).toMatch(/✔ keeping the deploy key in Secret flux-system\/flux-system \(ECDSA SHA256:/);
    expect(r.output).toContain('✔ bootstrap finished');
    expect(r.code).toBe(0);
    expect(await rev(git.bare, 'main')).toBe(before);
    const after = await secretOf(NS);
    expect(after?.data).toEqual(secret?.data);
    expect(after?.metadata.resourceVersion).toBe(secret?.metadata.resourceVersion);
  });

  it('refuses a host key that is not the one the Secret trusts, writing nothing', async () => {
    const secret = await secretOf(NS);
    const other = generateSshKeyPair({ algorithm: 'ed25519' }).publicKey.trim().split(' ').slice(0, 2).join(' ');
    const pinned = `[127.0.0.1]:${git.port} ${other}\n`;
    await client.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'flux-system', namespace: NS },
        data: { known_hosts: Buffer.from(pinned).toString('base64') },
      },
      { fieldManager: 'fluxdeck', force: true },
    );
    try {
      const changed = await secretOf(NS);
      const before = await rev(git.bare, 'main');
      const r = await cli(args(git.url, 'main', 'clusters/moved', userKey));
      expect(r.code).toBe(1);
      expect(r.output).toMatch(
        /✗ the SSH host key of \[127\.0\.0\.1\]:\d+ is not the one in known_hosts of Secret flux-system\/flux-system: the server presents ED25519 SHA256:\S+, the Secret trusts ED25519 SHA256:\S+\..*remove known_hosts from the Secret.*nothing was written/s,
      );
      expect(await rev(git.bare, 'main')).toBe(before);
      expect((await secretOf(NS))?.metadata.resourceVersion).toBe(changed?.metadata.resourceVersion);
    } finally {
      await client.apply(
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'flux-system', namespace: NS },
          data: secret?.data ?? {},
        },
        { fieldManager: 'fluxdeck', force: true },
      );
    }
  });
  it('bootstraps an empty repository with an encrypted key: the first commit creates the branch', async () => {
    git.authorize(await readFile(`${lockedKey}.pub`, 'utf8'));
    // This time the user's known_hosts knows the server (hashed, as Debian's ssh writes it): it confirms the scan.
    await writeFile(join(home, '.ssh', 'known_hosts'), git.knownHosts);
    await exec('ssh-keygen', ['-H', '-f', join(home, '.ssh', 'known_hosts')]);
    const bare = join(git.dir, 'repos', 'empty.git');
    await exec('git', ['init', '--bare', '--quiet', '--initial-branch=main', bare]);
    const url = git.url.replace('/app.git', '/empty.git');
    const ns = 'empty-system';
    const r = await bootstrapAddingKey(
      args(
        url,
        'main',
        'clusters/empty',
        lockedKey,
        '--password',
        LOCKED_PASSPHRASE,
        '--namespace',
        ns,
        '--ssh-key-algorithm',
        'ed25519',
      ),
      ns,
    );
    expect(r.output).toContain('✔ committed sync manifests to main');
    expect(r.output).toContain('✔ pushed to main');
    expect(r.output).toMatch(
      /✔ host key of 127\.0\.0\.1:\d+ \(ED25519 SHA256:\S+\) matches your ~\/\.ssh\/known_hosts/,
    );
    expect(r.output).toMatch(/✔ generated a deploy key in Secret empty-system\/flux-system \(ED25519 SHA256:/);
    expect(r.output).toContain('✔ bootstrap finished');
    expect(r.output).not.toContain(LOCKED_PASSPHRASE);
    expect(r.code).toBe(0);

    const head = await rev(bare, 'main');
    // One commit without a parent, holding only flux-system.
    expect((await exec('git', ['-C', bare, 'rev-list', '--count', 'main'])).stdout).toBe('1\n');
    expect((await exec('git', ['-C', bare, 'log', '-n1', '--format=%P', 'main'])).stdout).toBe('\n');
    expect((await exec('git', ['-C', bare, 'ls-tree', '-r', '--name-only', 'main'])).stdout).toBe(
      'clusters/empty/flux-system/gotk-sync.yaml\nclusters/empty/flux-system/kustomization.yaml\n',
    );
    const sync = await show(bare, 'main:clusters/empty/flux-system/gotk-sync.yaml');
    expect(sync).toContain(`  url: ${url}\n`);
    expect(sync).toContain(`  namespace: ${ns}\n`);
    const secret = await secretOf(ns);
    expect(text(secret, 'identity')).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    expect(text(secret, 'identity.pub')).toMatch(/^ssh-ed25519 AAAA\S+\n$/);
    const ks = await client.get<KubeObject & { status?: { lastAppliedRevision?: string } }>({
      ...fluxKinds.Kustomization,
      namespace: ns,
      name: 'flux-system',
    });
    expect(ks.status?.lastAppliedRevision).toBe(`main@sha1:${head ?? ''}`);
  });
  it('creates a branch the repository does not have yet, keeping the deploy key (--silent: no check)', async () => {
    const ns = 'empty-system';
    const key = text(await secretOf(ns), 'identity');
    const main = await rev(git.bare, 'main');
    const r = await cli(args(git.url, 'staging', 'clusters/staging', userKey, '--namespace', ns, '--silent'));
    expect(r.output).toMatch(/✔ keeping the deploy key in Secret empty-system\/flux-system \(ED25519 SHA256:/);
    expect(r.output).toContain('✔ not checking that the server accepts the deploy key (--silent)');
    expect(r.output).toContain('✔ committed sync manifests to staging');
    expect(r.output).toContain('✔ pushed to staging');
    expect(r.output).toContain('✔ bootstrap finished');
    expect(r.code).toBe(0);
    expect(text(await secretOf(ns), 'identity')).toBe(key);
    // As flux bootstrap does, the new branch starts empty (no parent) with only flux-system; main is untouched.
    expect(await rev(git.bare, 'main')).toBe(main);
    expect((await exec('git', ['-C', git.bare, 'rev-list', '--count', 'staging'])).stdout).toBe('1\n');
    expect((await exec('git', ['-C', git.bare, 'ls-tree', '-r', '--name-only', 'staging'])).stdout).toBe(
      'clusters/staging/flux-system/gotk-sync.yaml\nclusters/staging/flux-system/kustomization.yaml\n',
    );
    const ks = await client.get<KubeObject & { status?: { lastAppliedRevision?: string } }>({
      ...fluxKinds.Kustomization,
      namespace: ns,
      name: 'flux-system',
    });
    expect(ks.status?.lastAppliedRevision).toBe(`staging@sha1:${(await rev(git.bare, 'staging')) ?? ''}`);
  });
});
