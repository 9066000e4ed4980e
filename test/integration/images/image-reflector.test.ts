// ImageRepository and ImagePolicy end to end with real parts: tags pushed to the real distribution registry (anonymous
// and htpasswd), scanned and selected by Fluxdeck's controllers against the real control plane.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import type { ImagePolicy, ImageRepository } from '../../../main/flux/image.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import { clientFor, ensureNamespace, eventually, installCrds, waitForReady } from '../../support/flux-fixture.ts';
import { pushImageTags } from '../../support/image-tags.ts';
import { freePort } from '../../support/ports.ts';
import { type RegistryServer, startRegistry } from '../../support/registry.ts';

const cluster = inject('cluster');
const NS = 'images';
const OTHER_NS = 'images-other';
const REPO = { apiVersion: fluxKinds.ImageRepository.apiVersion, kind: 'ImageRepository' };
const POLICY = { apiVersion: fluxKinds.ImagePolicy.apiVersion, kind: 'ImagePolicy' };

const TAGS = [
  '1.0.0',
  'v1.1.5',
  '1.2.0-rc.1',
  '2.0.0',
  'latest',
  'main-abc123-1700000100',
  'main-def456-1700000900',
  'main-0aa111-1700000200',
  'sha256-0123.sig',
];

let registry: RegistryServer;
let secured: RegistryServer;
let client: ClusterClient;
let fluxdeck: Fluxdeck;
let work: string;
let digests: Map<string, string>;

function imageRepository(name: string, spec: Partial<ImageRepository['spec']>, ns = NS): ImageRepository {
  return {
    ...REPO,
    kind: 'ImageRepository',
    metadata: { name, namespace: ns },
    spec: { image: `${registry.host}/apps/podinfo`, interval: '10m', insecure: true, ...spec },
  };
}

function imagePolicy(name: string, spec: Partial<ImagePolicy['spec']>, ns = NS): ImagePolicy {
  return {
    ...POLICY,
    kind: 'ImagePolicy',
    metadata: { name, namespace: ns },
    spec: { imageRepositoryRef: { name: 'podinfo' }, policy: { semver: { range: '*' } }, ...spec },
  };
}

const ready = (o: { status?: { conditions?: { type: string; reason: string; message: string }[] } }) =>
  o.status?.conditions?.find((c) => c.type === 'Ready');

beforeAll(async () => {
  [registry, secured] = await Promise.all([startRegistry(), startRegistry({ htpasswd: true })]);
  digests = await pushImageTags(registry.host, 'apps/podinfo', TAGS, { distinct: true });
  await pushImageTags(secured.host, 'private/app', ['1.0.0', '1.5.0'], {
    credentials: { kind: 'basic', username: secured.username ?? '', password: secured.password ?? '' },
  });
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-images-'));
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  await ensureNamespace(client, OTHER_NS);
  fluxdeck = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir: join(work, 'data'),
    watchKubeconfigs: false,
    identity: 'images',
  });
  await fluxdeck.connect(cluster.name);
  await client.create(imageRepository('podinfo', {}));
});

afterAll(async () => {
  await fluxdeck.stop();
  client.close();
  await Promise.all([registry.stop(), secured.stop()]);
  await rm(work, { recursive: true, force: true });
});

describe('ImageRepository', () => {
  it('scans the tags into the data directory, leaving out signatures, with the status Flux writes', async () => {
    const repo = await waitForReady<ImageRepository>(client, REPO, NS, 'podinfo', (c) => c.status === 'True');
    expect(ready(repo)?.message).toBe('successful scan: found 8 tags');
    expect(repo.status?.canonicalImageName).toBe(`${registry.host}/apps/podinfo`);
    expect(repo.status?.observedExclusionList).toEqual(['^.*\\.sig$']);
    const scan = repo.status?.lastScanResult;
    expect(scan?.tagCount).toBe(8);
    expect(scan?.latestTags?.[0]).toBe('v1.1.5');
    expect(scan?.latestTags).not.toContain('sha256-0123.sig');
    expect(scan?.revision).toMatch(/^\d+$/);
    expect(existsSync(join(work, 'data', 'image-tags', cluster.name, NS, 'podinfo.json'))).toBe(true);
  });

  it('says why when the registry is down or refuses the credentials', async () => {
    const port = await freePort();
    await client.create(imageRepository('down', { image: `127.0.0.1:${port}/apps/none` }));
    const down = await waitForReady<ImageRepository>(client, REPO, NS, 'down', (c) => c.status === 'False');
    expect(ready(down)?.reason).toBe('ReadOperationFailed');
    expect(ready(down)?.message).toMatch(/^scan failed: /);

    const config = (user: string, password: string): string =>
      JSON.stringify({ auths: { [secured.host]: { username: user, password } } });
    await client.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'wrong-creds', namespace: NS },
      type: 'kubernetes.io/dockerconfigjson',
      stringData: { '.dockerconfigjson': config('docker', 'not-the-password') },
    });
    await client.create(
      imageRepository('private', { image: `${secured.host}/private/app`, secretRef: { name: 'wrong-creds' } }),
    );
    const refused = await waitForReady<ImageRepository>(client, REPO, NS, 'private', (c) => c.status === 'False');
    expect(ready(refused)?.reason).toBe('ReadOperationFailed');
    expect(ready(refused)?.message).toMatch(/unauthorized|401/i);
    expect(ready(refused)?.message).toContain('spec.secretRef');
    expect(ready(refused)?.message).not.toContain('not-the-password');

    // The right password: the same object recovers on its next attempt.
    await client.patch(
      { apiVersion: 'v1', kind: 'Secret', namespace: NS, name: 'wrong-creds' },
      { stringData: { '.dockerconfigjson': config(secured.username ?? '', secured.password ?? '') } },
      'merge',
    );
    await client.patch(
      { ...REPO, namespace: NS, name: 'private' },
      { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': 'now' } } },
      'merge',
    );
    const fixed = await waitForReady<ImageRepository>(client, REPO, NS, 'private', (c) => c.status === 'True');
    expect(fixed.status?.lastScanResult?.tagCount).toBe(2);
  });

  it('refuses an image with a tag as Stalled ImageURLInvalid', async () => {
    await client.create(imageRepository('tagged', { image: `${registry.host}/apps/podinfo:1.0.0` }));
    const tagged = await waitForReady<ImageRepository>(client, REPO, NS, 'tagged', (c) => c.status === 'False');
    expect(ready(tagged)?.reason).toBe('ImageURLInvalid');
    expect(tagged.status?.conditions?.find((c) => c.type === 'Stalled')?.status).toBe('True');
  });
});

describe('ImagePolicy', () => {
  it('selects by semver, prerelease semver, and a numerical extract, with Flux messages', async () => {
    await client.create(imagePolicy('stable', { policy: { semver: { range: '>=1.0.0 <2.0.0' } } }));
    await client.create(imagePolicy('rc', { policy: { semver: { range: '>=1.2.0-0 <1.3.0-0' } } }));
    await client.create(
      imagePolicy('main', {
        policy: { numerical: { order: 'asc' } },
        filterTags: { pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)$', extract: '$ts' },
      }),
    );
    const stable = await waitForReady<ImagePolicy>(client, POLICY, NS, 'stable', (c) => c.status === 'True');
    expect(stable.status?.latestRef).toEqual({ name: `${registry.host}/apps/podinfo`, tag: 'v1.1.5' });
    expect(ready(stable)?.message).toBe(`Latest image tag for ${registry.host}/apps/podinfo resolved to v1.1.5`);
    const rc = await waitForReady<ImagePolicy>(client, POLICY, NS, 'rc', (c) => c.status === 'True');
    expect(rc.status?.latestRef?.tag).toBe('1.2.0-rc.1');
    const main = await waitForReady<ImagePolicy>(client, POLICY, NS, 'main', (c) => c.status === 'True');
    expect(main.status?.latestRef?.tag).toBe('main-def456-1700000900');
  });

  it('reflects the digest when asked', async () => {
    await client.create(
      imagePolicy('pinned', { policy: { semver: { range: '^2' } }, digestReflectionPolicy: 'IfNotPresent' }),
    );
    const pinned = await waitForReady<ImagePolicy>(client, POLICY, NS, 'pinned', (c) => c.status === 'True');
    expect(pinned.status?.latestRef).toEqual({
      name: `${registry.host}/apps/podinfo`,
      tag: '2.0.0',
      digest: digests.get('2.0.0'),
    });
  });

  it('follows a new scan of its repository, keeping the previous ref', async () => {
    await waitForReady<ImagePolicy>(client, POLICY, NS, 'stable', (c) => c.status === 'True');
    await pushImageTags(registry.host, 'apps/podinfo', ['1.9.0'], { distinct: true });
    await client.patch(
      { ...REPO, namespace: NS, name: 'podinfo' },
      { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': 'rescan-1' } } },
      'merge',
    );
    const moved = await waitForReady<ImagePolicy>(
      client,
      POLICY,
      NS,
      'stable',
      (_c, p) => p.status?.latestRef?.tag === '1.9.0',
    );
    expect(moved.status?.observedPreviousRef?.tag).toBe('v1.1.5');
    expect(ready(moved)?.message).toMatch(/resolved to 1\.9\.0 \(previously .*:v1\.1\.5\)$/);
  });

  it('stalls on a pattern that does not compile or an extract naming a missing group', async () => {
    await client.create(imagePolicy('badregex', { policy: { alphabetical: {} }, filterTags: { pattern: '^main-(' } }));
    const bad = await waitForReady<ImagePolicy>(client, POLICY, NS, 'badregex', (c) => c.status === 'False');
    expect(ready(bad)?.reason).toBe('InvalidPolicy');
    expect(ready(bad)?.message).toMatch(/invalid regular expression pattern '\^main-\('/);
    expect(bad.status?.conditions?.find((c) => c.type === 'Stalled')?.status).toBe('True');
    await client.create(
      imagePolicy('badextract', {
        policy: { numerical: {} },
        filterTags: { pattern: '^main-(?P<ts>\\d+)$', extract: '$stamp' },
      }),
    );
    const extract = await waitForReady<ImagePolicy>(client, POLICY, NS, 'badextract', (c) => c.status === 'False');
    expect(ready(extract)?.message).toContain("references group 'stamp'");
  });

  it('reports nothing matching, a missing repository, and a cross-namespace reference without accessFrom', async () => {
    await client.create(imagePolicy('none', { policy: { semver: { range: '>=9.0.0' } } }));
    const none = await waitForReady<ImagePolicy>(client, POLICY, NS, 'none', (c) => c.status === 'False');
    expect(ready(none)?.message).toBe('unable to determine latest version from provided list');
    await client.create(imagePolicy('orphan', { imageRepositoryRef: { name: 'nope' } }));
    const orphan = await waitForReady<ImagePolicy>(client, POLICY, NS, 'orphan', (c) => c.status === 'False');
    expect(ready(orphan)?.reason).toBe('DependencyNotReady');
    await client.create(imagePolicy('across', { imageRepositoryRef: { name: 'podinfo', namespace: NS } }, OTHER_NS));
    const across = await waitForReady<ImagePolicy>(client, POLICY, OTHER_NS, 'across', (c) => c.status === 'False');
    expect(ready(across)?.reason).toBe('AccessDenied');
    // accessFrom for every namespace lets it through.
    await client.patch(
      { ...REPO, namespace: NS, name: 'podinfo' },
      { spec: { accessFrom: { namespaceSelectors: [{ matchLabels: {} }] } } },
      'merge',
    );
    const allowed = await eventually(
      'the cross-namespace policy to resolve',
      async () => {
        const p = await client.tryGet<ImagePolicy>({ ...POLICY, namespace: OTHER_NS, name: 'across' });
        return p?.status?.latestRef?.tag === '2.0.0' ? p : undefined;
      },
      90_000,
    );
    expect(allowed.status?.latestRef?.name).toBe(`${registry.host}/apps/podinfo`);
  });

  it('waits for its repository’s first scan as Flux does (DependencyNotReady, no error), an info item in the inbox', async () => {
    // A suspended repository is never scanned: the policy finds no tags, as one created beside a new repository does.
    await client.create(imageRepository('unscanned', { suspend: true }));
    await client.create(imagePolicy('early', { imageRepositoryRef: { name: 'unscanned' } }));
    const early = await waitForReady<ImagePolicy>(client, POLICY, NS, 'early', (c) => c.status === 'False');
    expect(ready(early)).toMatchObject({ reason: 'DependencyNotReady', message: 'no tags in database' });
    expect(early.status?.conditions?.find((c) => c.type === 'Stalled')).toBeUndefined();
    expect(early.status?.conditions?.find((c) => c.type === 'Reconciling')?.reason).toBe('ProgressingWithRetry');
    const items = () =>
      fluxdeck.inbox
        .list({ cluster: cluster.name, kind: 'ImagePolicy' })
        .items.filter((i) => i.object?.name === 'early' && i.object.namespace === NS);
    const waiting = await eventually('the inbox item of the waiting policy', () =>
      Promise.resolve(items().find((i) => i.reason === 'DependencyNotReady')),
    );
    expect(waiting).toMatchObject({ severity: 'info', message: 'no tags in database' });
    // The first scan lets it through, and nothing on the way was an error.
    await client.patch({ ...REPO, namespace: NS, name: 'unscanned' }, { spec: { suspend: false } }, 'merge');
    const resolved = await waitForReady<ImagePolicy>(client, POLICY, NS, 'early', (c) => c.status === 'True');
    expect(resolved.status?.latestRef?.tag).toBe('2.0.0');
    expect(items().filter((i) => i.severity !== 'info')).toEqual([]);
  });
});
