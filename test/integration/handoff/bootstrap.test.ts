import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { type RunningCluster, startCluster } from '../../cluster/control-plane.ts';
import { bootstrapArgs, mainOf, runBootstrapCli } from '../../support/bootstrap-cli.ts';
import { startCli } from '../../support/cli-process.ts';
import { clientFor, eventually } from '../../support/flux-fixture.ts';
import { commitFiles, type GitServer, startGitServer } from '../../support/git-server.ts';

// `fluxdeck bootstrap git` (desktop-reconciled) into the real git server (with basic auth) and a real control plane of
// its own: wrong credentials, Ctrl-C while the clone waits on a stalled server, a bootstrap that pushes flux-system
// and reconciles it to Ready, the same again (nothing new pushed), and a push the server refuses.

const AUTH = { username: 'fleet', password: 's3cret-pw' };
const NS = 'flux-system';

let c: RunningCluster;
let client: ClusterClient;
let git: GitServer;
let url: string;
let bare: string;
let dataDir: string;
const dirs: string[] = [];

const target = (path: string) =>
  ({ url, path, kubeconfig: c.kubeconfig, dataDir, identity: 'bootstrap-test', timeout: '2m' }) as const;
const bootstrap = (path: string, ...extra: string[]) => runBootstrapCli(target(path), ...extra);
const { head, show } = mainOf(() => bare);

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-bootstrap-cluster-'));
  dataDir = await mkdtemp(join(tmpdir(), 'fluxdeck-bootstrap-'));
  dirs.push(dir, dataDir);
  c = await startCluster({ name: 'bootstrap', dir, tier: 'api', ownerPid: process.pid });
  client = await clientFor(c.kubeconfig);
  git = await startGitServer({ auth: { basic: AUTH } });
  url = await git.createRepo('fleet');
  bare = git.repoPath('fleet');
  await commitFiles(bare, {
    'clusters/test/apps/podinfo.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: podinfo\n  namespace: flux-system\ndata:\n  v: "1"\n',
  });
});
afterAll(async () => {
  client.close();
  await git.close();
  await c.stop();
  await Promise.all([...dirs, git.root].map((d) => rm(d, { recursive: true, force: true })));
});

describe('fluxdeck bootstrap git (desktop-reconciled)', () => {
  it('refuses wrong credentials before writing anything', async () => {
    const before = await head();
    const r = await bootstrap('clusters/test', '--username', AUTH.username, '--password', 'wrong');
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/✗ cannot clone .*fleet\.git: .*(401|auth)/i);
    expect(r.output).not.toContain('wrong');
    expect(await head()).toBe(before);
    expect(await client.tryGet({ apiVersion: 'v1', kind: 'Namespace', name: NS })).toBeUndefined();
  });

  it('Ctrl-C while the clone waits on a stalled server: drops its request, says so, writes nothing', async () => {
    const before = await head();
    const dropped = git.abandoned;
    const held = git.hold();
    const cli = startCli(
      bootstrapArgs(target('clusters/test'), '--username', AUTH.username, '--password', AUTH.password),
    );
    try {
      await held.arrived;
      expect(await cli.kill('SIGINT')).toBe(130);
    } finally {
      held.release();
    }
    expect(cli.output()).toMatch(/✗ bootstrap cancelled: what was pushed or applied stays/);
    await eventually('the clone’s request to be dropped', () => Promise.resolve(git.abandoned > dropped || undefined));
    expect(await head()).toBe(before);
    expect(await client.tryGet({ apiVersion: 'v1', kind: 'Namespace', name: NS })).toBeUndefined();
  });

  it('pushes flux-system, creates the secret, applies and reconciles it to Ready', async () => {
    const r = await bootstrap('clusters/test', '--username', AUTH.username, '--password', AUTH.password);
    expect(r.output).toContain('✔ committed sync manifests to main');
    expect(r.output).toContain('✔ pushed to main');
    expect(r.output).toContain('✔ bootstrap finished');
    expect(r.output).not.toContain(AUTH.password);
    expect(r.code).toBe(0);
    const sync = await show('clusters/test/flux-system/gotk-sync.yaml');
    expect(sync).toContain('  path: ./clusters/test\n');
    expect(sync).toContain(`  url: ${url}\n`);
    expect(await show('clusters/test/flux-system/kustomization.yaml')).toContain('- gotk-sync.yaml');
    const secret = await client.get<KubeObject & { data: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: NS,
      name: 'flux-system',
    });
    expect(Buffer.from(secret.data.username ?? '', 'base64').toString()).toBe(AUTH.username);
    const ks = await client.get<KubeObject & { status?: { lastAppliedRevision?: string } }>({
      ...fluxKinds.Kustomization,
      namespace: NS,
      name: 'flux-system',
    });
    expect(ks.status?.lastAppliedRevision).toBe(`main@sha1:${await head()}`);
    // The cluster's path is reconciled: the app next to flux-system is applied.
    expect(await client.tryGet({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'podinfo' })).toBeDefined();
  });

  it('is idempotent over an existing bootstrap: nothing new is pushed', async () => {
    const before = await head();
    const r = await bootstrap('clusters/test', '--username', AUTH.username, '--password', AUTH.password);
    expect(r.output).toContain('✔ sync manifests are up to date in main');
    expect(r.output).toContain('✔ main already has it');
    expect(r.code).toBe(0);
    expect(await head()).toBe(before);
  });

  it('reports a push the server refuses, and never forces it', async () => {
    const hook = join(bare, 'hooks', 'pre-receive');
    await writeFile(hook, '#!/bin/sh\necho "main is protected" >&2\nexit 1\n');
    await chmod(hook, 0o755);
    const before = await head();
    const r = await bootstrap('clusters/other', '--username', AUTH.username, '--password', AUTH.password);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/✗ the server refused the push \(never forced\): .*main is protected/s);
    expect(await head()).toBe(before);
    await rm(hook);
  });
});
