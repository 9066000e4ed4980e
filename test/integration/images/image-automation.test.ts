// ImageUpdateAutomation end to end with real parts: the git server fixture, the real registry with tags pushed by the
// test, and the real control plane where a Kustomization applies what the automation pushed.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { generateKey } from 'openpgp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { runCli } from '../../../main/cli/run.ts';
import { runGitUpdate } from '../../../main/controllers/imageupdateautomation/git-update.ts';
import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import type { FluxEvent } from '../../../main/flux/events.ts';
import type { ImagePolicy, ImageRepository, ImageUpdateAutomation } from '../../../main/flux/image.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import {
  clientFor,
  ensureNamespace,
  eventually,
  gitRepository,
  installCrds,
  kustomization,
  readyOf,
  waitForReady,
} from '../../support/flux-fixture.ts';
import { commitFiles, type GitServer, startGitServer } from '../../support/git-server.ts';
import { pushImageTags } from '../../support/image-tags.ts';
import { type RegistryServer, startRegistry } from '../../support/registry.ts';

const cluster = inject('cluster');
const NS = 'images-auto';
const AUTO = { apiVersion: fluxKinds.ImageUpdateAutomation.apiVersion, kind: 'ImageUpdateAutomation' };
const KS = { apiVersion: fluxKinds.Kustomization.apiVersion, kind: 'Kustomization' };

let registry: RegistryServer;
let git: GitServer;
let bare: string;
let url: string;
let client: ClusterClient;
let fluxdeck: Fluxdeck;
let work: string;
const events: FluxEvent[] = [];

const show = (ref: string): string => execFileSync('git', ['-C', bare, 'show', ref]).toString();
const head = (branch = 'main'): string => execFileSync('git', ['-C', bare, 'rev-parse', branch]).toString().trim();

function configYaml(image: string): string {
  return [
    '# Settings of the app; the image line is kept up to date by Flux.',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: app-settings',
    '  namespace: images-auto',
    'data:',
    `  image: "${image}" # {"$imagepolicy": "${NS}:app"}`,
    "  mode:   'fast'    # odd spacing stays",
    '  unrelated: ghcr.io/other/thing:1.0.0',
    '',
  ].join('\n');
}

const kustomizationYaml = (tag: string): string =>
  [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    '  - config.yaml',
    'images:',
    '  - name: app',
    `    newTag: ${tag} # {"$imagepolicy": "${NS}:app:tag"}`,
    '',
  ].join('\n');

const BAD_YAML = `apiVersion: v1\nkind: ConfigMap\ndata: [\n  image: x # {"$imagepolicy": "${NS}:app"}\n`;
const UNKNOWN_MARKER = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\ndata:\n  image: x:1 # {"$imagepolicy": "${NS}:nope"}\n`;

function automation(name: string, spec: Partial<ImageUpdateAutomation['spec']> = {}): ImageUpdateAutomation {
  return {
    ...AUTO,
    kind: 'ImageUpdateAutomation',
    metadata: { name, namespace: NS },
    spec: {
      sourceRef: { kind: 'GitRepository', name: 'fleet' },
      interval: '10m',
      git: {
        commit: {
          author: { name: 'Fluxdeck Bot', email: 'bot@example.com' },
          messageTemplate:
            'Update images\n\n{{ range $file, $_ := .Changed.FileChanges -}}\n- {{ $file }}\n{{ end -}}\n{{ range .Changed.Changes }}{{ .OldValue }} -> {{ .NewValue }}\n{{ end }}by {{ .AutomationObject }}',
        },
        push: { branch: 'main' },
      },
      update: { strategy: 'Setters', path: './apps' },
      ...spec,
    },
  };
}

beforeAll(async () => {
  [registry, git] = await Promise.all([startRegistry(), startGitServer()]);
  await pushImageTags(registry.host, 'team/app', ['1.0.0', '1.1.0', '2.0.0-rc.1', 'latest']);
  url = await git.createRepo('fleet');
  bare = git.repoPath('fleet');
  await commitFiles(
    bare,
    {
      'apps/config.yaml': configYaml(`${registry.host}/team/app:1.0.0`),
      'apps/kustomization.yaml': kustomizationYaml('1.0.0'),
      'apps/bad.yaml': BAD_YAML,
      'apps/other.yaml': UNKNOWN_MARKER,
      'elsewhere/config.yaml': configYaml(`${registry.host}/team/app:1.0.0`),
    },
    { message: 'first' },
  );
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-image-auto-'));
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  fluxdeck = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir: join(work, 'data'),
    watchKubeconfigs: false,
    identity: 'image-auto',
  });
  fluxdeck.bus.on('flux.event', (e) => void events.push(e));
  await fluxdeck.connect(cluster.name);
  await client.create(gitRepository(NS, 'fleet', url, { interval: '10m' }));
  await client.create(kustomization(NS, 'apps', 'fleet', { path: './apps', interval: '10m' }));
  const repo: ImageRepository = {
    apiVersion: fluxKinds.ImageRepository.apiVersion,
    kind: 'ImageRepository',
    metadata: { name: 'app', namespace: NS },
    spec: { image: `${registry.host}/team/app`, interval: '10m', insecure: true },
  };
  const policy: ImagePolicy = {
    apiVersion: fluxKinds.ImagePolicy.apiVersion,
    kind: 'ImagePolicy',
    metadata: { name: 'app', namespace: NS },
    spec: { imageRepositoryRef: { name: 'app' }, policy: { semver: { range: '^1.0.0' } } },
  };
  await client.create(repo);
  await client.create(policy);
});

afterAll(async () => {
  await fluxdeck.stop();
  client.close();
  await Promise.all([registry.stop(), git.close()]);
  await rm(work, { recursive: true, force: true });
  await rm(git.root, { recursive: true, force: true });
});

describe('ImageUpdateAutomation', () => {
  it('commits only the marked values, pushes, and the Kustomization applies the new image', async () => {
    const before = head();
    await waitForReady(client, KS, NS, 'apps', (c) => c.status === 'True');
    await client.create(automation('apps'));
    const auto = await waitForReady<ImageUpdateAutomation>(
      client,
      AUTO,
      NS,
      'apps',
      (c, a) => c.status === 'True' && a.status?.lastPushCommit !== undefined,
    );
    const pushed = head();
    expect(pushed).not.toBe(before);
    expect(auto.status?.lastPushCommit).toBe(pushed);
    expect(auto.status?.lastPushTime).toBeDefined();
    expect(auto.status?.lastAutomationRunTime).toBeDefined();
    expect(auto.status?.observedPolicies).toEqual({ app: { name: `${registry.host}/team/app`, tag: '1.1.0' } });
    expect(readyOf(auto)?.message).toMatch(
      /^repository up-to-date; skipped files that are not valid YAML: apps\/bad\.yaml:\d+: /,
    );

    // Byte for byte: only the marked scalars changed; the unmarked folder and the bad file are untouched.
    expect(show(`${pushed}:apps/config.yaml`)).toBe(configYaml(`${registry.host}/team/app:1.1.0`));
    expect(show(`${pushed}:apps/kustomization.yaml`)).toBe(kustomizationYaml('1.1.0'));
    expect(show(`${pushed}:apps/bad.yaml`)).toBe(BAD_YAML);
    expect(show(`${pushed}:elsewhere/config.yaml`)).toBe(configYaml(`${registry.host}/team/app:1.0.0`));
    const files = execFileSync('git', ['-C', bare, 'show', '--name-only', '--format=', pushed]).toString().trim();
    expect(files.split('\n').sort()).toEqual(['apps/config.yaml', 'apps/kustomization.yaml']);
    const message = execFileSync('git', ['-C', bare, 'log', '-1', '--format=%an <%ae>%n%B', pushed]).toString();
    expect(message).toContain('Fluxdeck Bot <bot@example.com>');
    expect(message).toContain('- apps/config.yaml\n- apps/kustomization.yaml\n');
    expect(message).toContain(`${registry.host}/team/app:1.0.0 -> ${registry.host}/team/app:1.1.0`);
    expect(message).toContain(`by ${NS}/apps`);

    // The GitRepository was asked to reconcile, so the Kustomization follows without waiting for its interval.
    const cm = await eventually(
      'the ConfigMap with the new image',
      async () => {
        const c = await client.tryGet<KubeObject & { data?: Record<string, string> }>({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: NS,
          name: 'app-settings',
        });
        return c?.data?.image === `${registry.host}/team/app:1.1.0` ? c : undefined;
      },
      90_000,
    );
    expect(cm.data?.mode).toBe('fast');

    // Events on the Flux events path (Kubernetes Events and the bus the inbox and alerts read).
    const messages = events
      .filter((e) => e.object.namespace === NS)
      .map((e) => `${e.type} ${e.object.kind} ${e.message}`);
    expect(messages).toContainEqual(expect.stringMatching(/^Normal ImagePolicy new image 1\.1\.0 selected for app: /));
    expect(messages).toContain(
      `Normal ImageUpdateAutomation pushed commit '${pushed.slice(0, 7)}' to branch 'main' updating 2 files`,
    );
    expect(messages).toContainEqual(
      expect.stringMatching(
        /^Warning ImageUpdateAutomation skipped apps\/bad\.yaml:\d+: .*\napps\/other\.yaml:5: marker names ImagePolicy 'images-auto:nope'/,
      ),
    );
    // The warning (a file skipped, a marker naming no policy) is an inbox item.
    const inbox = fluxdeck.inbox.list({ cluster: cluster.name, kind: 'ImageUpdateAutomation' }).items;
    expect(inbox.some((i) => /skipped apps\/bad\.yaml/.test(i.message))).toBe(true);
  });

  it('pushes nothing when the files already say what the policies want', async () => {
    const before = head();
    await client.patch(
      { ...AUTO, namespace: NS, name: 'apps' },
      { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': 'again' } } },
      'merge',
    );
    await eventually('the automation to handle the request', async () => {
      const a = await client.tryGet<ImageUpdateAutomation>({ ...AUTO, namespace: NS, name: 'apps' });
      return a?.status?.lastHandledReconcileAt === 'again' ? a : undefined;
    });
    expect(head()).toBe(before);
  });

  it('stalls on an SSH signing key, a cloud provider and the removed .Updated field; fails on a bad OpenPGP key', async () => {
    const ssh = automation('ssh-signed');
    ssh.spec.git!.commit.signingKey = { secretRef: { name: 'gpg' }, type: 'ssh' };
    await client.create(ssh);
    const sshSigned = await waitForReady(client, AUTO, NS, 'ssh-signed', (c) => c.status === 'False');
    expect(readyOf(sshSigned)?.reason).toBe('SigningNotSupported');
    expect(readyOf(sshSigned)?.message).toMatch(/type 'ssh' is not supported/);

    // An OpenPGP key with the wrong passphrase: a clear condition, nothing pushed unsigned.
    const before = head();
    const { privateKey } = await generateKey({
      userIDs: [{ name: 'Bot', email: 'bot@example.com' }],
      passphrase: 'right',
      format: 'armored',
    });
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'gpg-wrong', namespace: NS },
      stringData: { 'git.asc': privateKey, passphrase: 'wrong' },
    });
    const wrong = automation('wrong-passphrase');
    wrong.spec.git!.commit.signingKey = { secretRef: { name: 'gpg-wrong' } };
    await client.create(wrong);
    const bad = await waitForReady(client, AUTO, NS, 'wrong-passphrase', (c) => c.status === 'False');
    expect(readyOf(bad)?.reason).toBe('InvalidSigningKey');
    expect(readyOf(bad)?.message).toMatch(/'passphrase' does not decrypt the private key in 'git\.asc'/);
    expect(head()).toBe(before);

    // Workload identity of the GitRepository is not implemented: said, not ignored.
    await client.create(gitRepository(NS, 'cloud', url, { interval: '10m', provider: 'azure' }));
    const cloud = automation('cloud', { sourceRef: { kind: 'GitRepository', name: 'cloud' } });
    await client.create(cloud);
    const stalled = await waitForReady(client, AUTO, NS, 'cloud', (c) => c.status === 'False');
    expect(readyOf(stalled)?.reason).toBe('InvalidSourceConfiguration');
    expect(readyOf(stalled)?.message).toMatch(/provider 'azure'.*not supported.*use spec\.secretRef/);

    const old = automation('old-template');
    old.spec.git!.commit.messageTemplate = '{{ range .Updated.Images }}{{ . }}{{ end }}';
    await client.create(old);
    const removed = await waitForReady(client, AUTO, NS, 'old-template', (c) => c.status === 'False');
    expect(readyOf(removed)?.reason).toBe('RemovedTemplateField');
  });

  it('creates a missing push branch from the checkout branch', async () => {
    await commitFiles(
      bare,
      { 'apps/config.yaml': configYaml(`${registry.host}/team/app:1.0.0`) },
      { message: 'reset' },
    );
    const main = head();
    await client.create(
      automation('to-branch', { git: { ...automation('x').spec.git!, push: { branch: 'auto-updates' } } }),
    );
    const auto = await waitForReady<ImageUpdateAutomation>(
      client,
      AUTO,
      NS,
      'to-branch',
      (c, a) => c.status === 'True' && a.status?.lastPushCommit !== undefined,
    );
    expect(head('auto-updates')).toBe(auto.status?.lastPushCommit);
    expect(head()).toBe(main);
    expect(
      execFileSync('git', ['-C', bare, 'rev-parse', `${head('auto-updates')}^`])
        .toString()
        .trim(),
    ).toBe(main);
  });
});

describe('fluxdeck CLI for the image kinds', () => {
  const cli = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const code = await runCli([...args, '--kubeconfig', cluster.kubeconfig, '-n', NS], {
      out: (t) => (out += t),
      err: (t) => (err += t),
      signal: new AbortController().signal,
    });
    return { code, out, err };
  };

  it('gets, suspends, reconciles and previews without committing, then resumes and pushes', async () => {
    await commitFiles(
      bare,
      { 'apps/config.yaml': configYaml(`${registry.host}/team/app:1.1.0`) },
      { message: 'at 1.1.0' },
    );
    const repos = await cli('get', 'images', 'repository');
    expect(repos.out).toMatch(/app\s+4 tags\s+false\s+True\s+successful scan: found 4 tags/);
    const policies = await cli('get', 'images', 'policy', 'app');
    expect(policies.out).toContain(`${registry.host}/team/app:1.1.0`);
    expect((await cli('suspend', 'image', 'update', 'apps')).code).toBe(0);

    await pushImageTags(registry.host, 'team/app', ['1.2.0']);
    const rec = await cli('reconcile', 'image', 'repository', 'app');
    expect(rec.code).toBe(0);
    expect(rec.err).toContain('successful scan: found 5 tags');
    await waitForReady<ImagePolicy>(
      client,
      { ...fluxKinds.ImagePolicy },
      NS,
      'app',
      (_c, p) => p.status?.latestRef?.tag === '1.2.0',
    );

    const before = head();
    const preview = await cli('image', 'preview', 'apps');
    expect(preview.code).toBe(0);
    expect(preview.out).toContain('--- a/apps/config.yaml\n+++ b/apps/config.yaml\n@@ -5,7 +5,7 @@\n');
    expect(preview.out).toContain(`-  image: "${registry.host}/team/app:1.1.0" # {"$imagepolicy": "${NS}:app"}`);
    expect(preview.out).toContain(`+  image: "${registry.host}/team/app:1.2.0" # {"$imagepolicy": "${NS}:app"}`);
    expect(preview.out).toContain(`+    newTag: 1.2.0 # {"$imagepolicy": "${NS}:app:tag"}`);
    expect(preview.err).toContain('2 files would change on main');
    expect(head()).toBe(before);

    const resumed = await cli('resume', 'image', 'update', 'apps');
    expect(resumed.code).toBe(0);
    expect(head()).not.toBe(before);
    expect(show('main:apps/config.yaml')).toBe(configYaml(`${registry.host}/team/app:1.2.0`));
    const updates = await cli('get', 'images', 'update');
    expect(updates.out).toContain(head().slice(0, 12));
  });
});

describe('push races', () => {
  it('re-applies the setters on the new head when someone pushed first, and never forces', async () => {
    await commitFiles(
      bare,
      { 'apps/config.yaml': configYaml(`${registry.host}/team/app:1.0.0`) },
      { message: 'reset 2' },
    );
    let raced = false;
    const result = await runGitUpdate({
      dir: join(work, 'race-clone'),
      url,
      checkout: { branch: 'main' },
      pushBranch: 'main',
      updatePath: 'apps',
      policies: new Map([[`${NS}:app`, { name: `${registry.host}/team/app`, tag: '1.1.0' }]]),
      author: { name: 'bot', email: 'bot@example.com' },
      message: async () => {
        // Between our fetch and our push, someone else pushes a commit to the same branch.
        if (!raced) {
          raced = true;
          await commitFiles(bare, { 'NOTES.md': 'someone else\n' }, { message: 'concurrent' });
        }
        return 'update';
      },
    });
    expect(result.status).toBe('pushed');
    if (result.status !== 'pushed') return;
    expect(result.attempts).toBe(2);
    expect(head()).toBe(result.commit);
    // Their commit is the parent of ours: nothing of theirs was overwritten.
    expect(show(`${result.commit}^:NOTES.md`)).toBe('someone else\n');
    expect(show(`${result.commit}:NOTES.md`)).toBe('someone else\n');
    expect(show(`${result.commit}:apps/config.yaml`)).toBe(configYaml(`${registry.host}/team/app:1.1.0`));
  });
});
