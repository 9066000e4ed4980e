import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCli } from '../../../main/cli/run.ts';
import { type CustomResourceDefinition, loadCrdManifests } from '../../../main/controllers/crds/crd-manifests.ts';
import { detectFluxControllers } from '../../../main/controllers/crds/detect-flux.ts';
import { installFluxCrds, isEstablished } from '../../../main/controllers/crds/install-flux-crds.ts';
import { fluxKindList, fluxKinds, fluxResourcePath } from '../../../main/flux/kinds.ts';
import { type ClusterClient, openCluster } from '../../../main/kube/cluster-client.ts';
import { isKubeError } from '../../../main/kube/kube-error.ts';
import { loadKubeconfig } from '../../../main/kube/kubeconfig.ts';
import type { KubeObject } from '../../../main/util/kube-object.ts';
import { type RunningCluster, startCluster } from '../../cluster/control-plane.ts';
import { cliIO } from '../../support/cli-io.ts';

// Installs Fluxdeck's CRDs into fresh real clusters and checks them the way users will: through kubectl's printer
// columns and short names, the apiserver's validation and defaulting, and a second install that must write nothing.

const run = promisify(execFile);
const ns = 'apps';
let fresh: RunningCluster;
let client: ClusterClient;

async function connect(c: RunningCluster): Promise<ClusterClient> {
  const { config } = await loadKubeconfig([c.kubeconfig]);
  return openCluster(c.name, { kubeconfig: config });
}

async function kubectl(c: RunningCluster, ...args: string[]): Promise<string> {
  const { stdout } = await run('kubectl', ['--kubeconfig', c.kubeconfig, '--context', c.name, ...args]);
  return stdout;
}

async function crdVersions(c: ClusterClient): Promise<Map<string, string>> {
  const list = await c.list<CustomResourceDefinition>({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
  });
  return new Map(list.items.map((crd) => [crd.metadata.name ?? '', crd.metadata.resourceVersion ?? '']));
}

/**
 * Retries while a just-Established CRD's storage is still initializing: the apiserver answers 429 "storage is
 * (re)initializing" for a moment after Established, and clients are expected to retry.
 */
async function eventually<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt > 50 || !(err instanceof Error) || !err.message.includes('storage is (re)initializing')) throw err;
      await sleep(100);
    }
  }
}

async function establishedCrd(c: ClusterClient, name: string): Promise<CustomResourceDefinition> {
  for (;;) {
    const crd = await c.get<CustomResourceDefinition>({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name,
    });
    if (isEstablished(crd)) return crd;
    await sleep(100);
  }
}

/** The apiserver's answer to creating `obj`: the created object, or the error message it refused it with. */
async function create(obj: KubeObject): Promise<KubeObject | string> {
  try {
    return await client.create(obj);
  } catch (err) {
    if (isKubeError(err)) return err.message;
    throw err;
  }
}

const gitRepository = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: fluxKinds.GitRepository.apiVersion,
  kind: 'GitRepository',
  metadata: { name, namespace: ns },
  spec,
});

const kustomization = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: fluxKinds.Kustomization.apiVersion,
  kind: 'Kustomization',
  metadata: { name, namespace: ns },
  spec,
});

beforeAll(async () => {
  fresh = await startCluster({
    name: 'crds-fresh',
    dir: join(tmpdir(), `fluxdeck-crds-fresh-${process.pid}`),
    tier: 'api',
    ownerPid: process.pid,
  });
  client = await connect(fresh);
});

afterAll(async () => {
  client.close();
  await fresh.stop();
  await rm(fresh.dir, { recursive: true, force: true });
});

describe('fluxdeck install into a fresh cluster', () => {
  it('installs every CRD, Established, and reports it', async () => {
    const t = cliIO();
    expect(await runCli(['install', '--kubeconfig', fresh.kubeconfig, '--context', fresh.name], t.io)).toBe(0);
    for (const k of fluxKindList) expect(t.out()).toContain(`✔ installed ${k.crdName}`);
    expect(t.out()).toContain(`✔ Flux CRDs ready in context ${fresh.name}`);
    // Every kind is served at the version the API types use.
    for (const k of fluxKindList) {
      const list = await eventually(() =>
        client.request<{ items: unknown[] }>({ method: 'GET', path: fluxResourcePath(k, { namespace: 'default' }) }),
      );
      expect(list.items).toEqual([]);
    }
  });

  it('shows Flux printer columns and short names in kubectl', async () => {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await client.create(
      gitRepository('podinfo', {
        url: 'https://github.com/stefanprodan/podinfo',
        interval: '1m',
        ref: { branch: 'master' },
      }),
    );
    await client.create(
      kustomization('podinfo', { interval: '10m', prune: true, sourceRef: { kind: 'GitRepository', name: 'podinfo' } }),
    );
    const both = await kubectl(fresh, 'get', 'gitrepositories,kustomizations', '-A');
    expect(both).toMatch(/^NAMESPACE\s+NAME\s+URL\s+AGE\s+READY\s+STATUS\s*$/m);
    expect(both).toMatch(
      /^apps\s+gitrepository\.source\.toolkit\.fluxcd\.io\/podinfo\s+https:\/\/github\.com\/stefanprodan\/podinfo\s+\S+\s*$/m,
    );
    expect(both).toMatch(/^NAMESPACE\s+NAME\s+AGE\s+READY\s+STATUS\s*$/m);
    expect(both).toMatch(/^apps\s+kustomization\.kustomize\.toolkit\.fluxcd\.io\/podinfo\s+\S+\s*$/m);
    expect(await kubectl(fresh, 'get', 'ks', '-n', ns)).toMatch(/^NAME\s+AGE\s+READY\s+STATUS\s*\npodinfo\s+\S+\s*$/m);
    expect(await kubectl(fresh, 'get', 'gitrepo', '-n', ns, '-o', 'name')).toBe(
      'gitrepository.source.toolkit.fluxcd.io/podinfo\n',
    );
    for (const short of ['hr', 'hc', 'helmrepo', 'ocirepo', 'imgrepo', 'imgpol', 'iua']) {
      const { stderr } = await run('kubectl', [
        '--kubeconfig',
        fresh.kubeconfig,
        '--context',
        fresh.name,
        'get',
        short,
        '-A',
      ]);
      expect(stderr).toBe('No resources found\n');
    }
    // The category groups every Flux kind, as `kubectl get fluxcd` does with Flux's own CRDs.
    const all = await kubectl(fresh, 'get', 'fluxcd', '-n', ns, '-o', 'name');
    expect(all.split('\n').filter(Boolean).sort()).toEqual([
      'gitrepository.source.toolkit.fluxcd.io/podinfo',
      'kustomization.kustomize.toolkit.fluxcd.io/podinfo',
    ]);
  });

  it('applies the CRD defaults: source timeout 60s, status.observedGeneration -1', async () => {
    const repo = await client.get<
      KubeObject & { spec: { timeout?: string }; status?: { observedGeneration?: number } }
    >({
      apiVersion: fluxKinds.GitRepository.apiVersion,
      kind: 'GitRepository',
      namespace: ns,
      name: 'podinfo',
    });
    expect(repo.spec.timeout).toBe('60s');
    expect(repo.status).toEqual({ observedGeneration: -1 });
    const ks = await client.get<KubeObject & { spec: { force?: boolean } }>({
      apiVersion: fluxKinds.Kustomization.apiVersion,
      kind: 'Kustomization',
      namespace: ns,
      name: 'podinfo',
    });
    expect(ks.spec.force).toBe(false);
  });

  it('serves GitRepository v1beta2 for manifests written for older Flux, stored as v1', async () => {
    const created = await create({
      ...gitRepository('legacy', { url: 'ssh://git@example.com/repo', interval: '5m' }),
      apiVersion: 'source.toolkit.fluxcd.io/v1beta2',
    });
    expect(created).toMatchObject({ apiVersion: 'source.toolkit.fluxcd.io/v1beta2', spec: { timeout: '60s' } });
    const v1 = await client.get({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      namespace: ns,
      name: 'legacy',
    });
    expect(v1.apiVersion).toBe('source.toolkit.fluxcd.io/v1');
  });

  it.each<[string, KubeObject, RegExp]>([
    [
      'a bad interval',
      gitRepository('bad-interval', { url: 'https://example.com/repo', interval: '1d' }),
      /spec\.interval: Invalid value: "1d": spec\.interval in body should match '\^\(\[0-9\]\+\(\\\.\[0-9\]\+\)\?\(ms\|s\|m\|h\)\)\+\$'/,
    ],
    [
      'an hour-long source timeout',
      gitRepository('bad-timeout', { url: 'https://example.com/repo', interval: '1m', timeout: '1h' }),
      /spec\.timeout: Invalid value: "1h"/,
    ],
    [
      'an scp-like Git URL',
      gitRepository('scp-url', { url: 'git@github.com:org/repo.git', interval: '1m' }),
      /spec\.url: Invalid value: "git@github\.com:org\/repo\.git": spec\.url in body should match '\^\(http\|https\|ssh\):\/\/\.\*\$'/,
    ],
    [
      'a missing required field',
      kustomization('no-prune', { interval: '10m', sourceRef: { kind: 'GitRepository', name: 'podinfo' } }),
      /spec\.prune: Required value/,
    ],
    [
      'a source kind outside the enum',
      kustomization('bad-kind', { interval: '1m', prune: true, sourceRef: { kind: 'HelmRepository', name: 'x' } }),
      /spec\.sourceRef\.kind: Unsupported value: "HelmRepository": supported values: "OCIRepository", "GitRepository", "Bucket", "ExternalArtifact"/,
    ],
    [
      'a targetNamespace longer than 63',
      kustomization('long-ns', {
        interval: '1m',
        prune: true,
        targetNamespace: 'x'.repeat(64),
        sourceRef: { kind: 'GitRepository', name: 'x' },
      }),
      /spec\.targetNamespace: Too long: may not be (longer|more) than 63/,
    ],
    [
      'both kubeConfig references (CEL rule)',
      kustomization('two-kubeconfigs', {
        interval: '1m',
        prune: true,
        sourceRef: { kind: 'GitRepository', name: 'x' },
        kubeConfig: { secretRef: { name: 'a' }, configMapRef: { name: 'b' } },
      }),
      /exactly one of spec\.kubeConfig\.configMapRef or spec\.kubeConfig\.secretRef must be specified/,
    ],
  ])('rejects %s with the apiserver message', async (_what, obj, message) => {
    const answer = await create(obj);
    expect(typeof answer).toBe('string');
    expect(answer).toMatch(message);
  });

  it('installs again without writing anything', async () => {
    const before = await crdVersions(client);
    const results = await installFluxCrds(client);
    expect(results.map((r) => [r.name, r.action])).toEqual(fluxKindListSorted().map((n) => [n, 'unchanged']));
    expect(await crdVersions(client)).toEqual(before);
  });

  it('takes back fields of its own CRD that someone else changed, and touches no other CRD', async () => {
    const key = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      name: fluxKinds.Bucket.crdName,
    };
    await client.patch(key, { spec: { names: { categories: ['all'] } } }, 'merge', { fieldManager: 'kubectl-edit' });
    const before = await crdVersions(client);
    const results = await installFluxCrds(client);
    expect(results.filter((r) => r.action !== 'unchanged').map((r) => [r.name, r.action])).toEqual([
      [fluxKinds.Bucket.crdName, 'updated'],
    ]);
    const after = await crdVersions(client);
    for (const [name, rv] of before) {
      if (name === fluxKinds.Bucket.crdName) expect(after.get(name)).not.toBe(rv);
      else expect(after.get(name)).toBe(rv);
    }
    const bucket = await client.get<CustomResourceDefinition>(key);
    expect(bucket.spec.names.categories).toEqual(['all', 'fluxcd', 'fluxcd-sources']);
  });
});

function fluxKindListSorted(): string[] {
  // installFluxCrds reports in manifest order: the files of resources/crds sorted by name.
  return fluxKindList.map((k) => k.crdName).sort((a, b) => `${a}.yaml`.localeCompare(`${b}.yaml`));
}

describe('fluxdeck install next to CRDs it does not own', () => {
  let other: RunningCluster;
  let otherClient: ClusterClient;

  beforeAll(async () => {
    other = await startCluster({
      name: 'crds-foreign',
      dir: join(tmpdir(), `fluxdeck-crds-foreign-${process.pid}`),
      tier: 'api',
      ownerPid: process.pid,
    });
    otherClient = await connect(other);
  });

  afterAll(async () => {
    otherClient.close();
    await other.stop();
    await rm(other.dir, { recursive: true, force: true });
  });

  /** A CRD of the same name as one of ours, as an old Flux (v1beta2 only) or another tool would have installed it. */
  function foreignCrd(name: string, version: string, labels: Record<string, string>): CustomResourceDefinition {
    const ours = crds.find((c) => c.metadata.name === name);
    if (!ours) throw new Error(`no CRD ${name} in resources/crds`);
    return {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name, labels },
      spec: {
        group: ours.spec.group,
        names: ours.spec.names,
        scope: 'Namespaced',
        versions: [
          {
            name: version,
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
  }

  let crds: CustomResourceDefinition[];

  it('plans with --dry-run and writes nothing', async () => {
    crds = await loadCrdManifests();
    const t = cliIO();
    expect(
      await runCli(['install', '--kubeconfig', other.kubeconfig, '--context', other.name, '--dry-run'], t.io),
    ).toBe(0);
    expect(t.out()).toContain(`◎ would install ${fluxKinds.Kustomization.crdName} (v1)`);
    expect(t.out()).toContain('✔ dry run finished');
    expect(await crdVersions(otherClient)).toEqual(new Map());
  });

  it("leaves Flux's and third-party CRDs exactly as they are", async () => {
    await otherClient.create(
      foreignCrd(fluxKinds.Kustomization.crdName, 'v1beta2', { 'app.kubernetes.io/part-of': 'flux' }),
    );
    await otherClient.create(foreignCrd(fluxKinds.GitRepository.crdName, 'v1', {}));
    // The apiserver writes their status once they are served; compare with that, not with what create returned.
    const flux = await establishedCrd(otherClient, fluxKinds.Kustomization.crdName);
    const thirdParty = await establishedCrd(otherClient, fluxKinds.GitRepository.crdName);
    const results = await installFluxCrds(otherClient);
    const byName = new Map(results.map((r) => [r.name, r]));
    expect(byName.get(fluxKinds.Kustomization.crdName)).toMatchObject({
      action: 'existing',
      owner: 'flux',
      servedVersions: ['v1beta2'],
      warning: 'serves v1beta2 but not v1, which Fluxdeck uses: upgrade the Flux installation that owns it',
    });
    expect(byName.get(fluxKinds.GitRepository.crdName)).toMatchObject({ action: 'existing', owner: 'other' });
    expect(byName.get(fluxKinds.GitRepository.crdName)?.warning).toBeUndefined();
    expect(results.filter((r) => r.action === 'installed')).toHaveLength(fluxKindList.length - 2);
    const after = await crdVersions(otherClient);
    expect(after.get(flux.metadata.name ?? '')).toBe(flux.metadata.resourceVersion);
    expect(after.get(thirdParty.metadata.name ?? '')).toBe(thirdParty.metadata.resourceVersion);
  });

  it("finds Flux's controllers by their Deployments, and not other projects' namesakes", async () => {
    expect(await detectFluxControllers(otherClient)).toEqual({
      deployments: [],
      reconciledKinds: [],
      fluxRunning: false,
    });
    await otherClient.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'flux-system' } });
    await otherClient.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-addons' } });
    const deployment = (
      name: string,
      namespace: string,
      image: string,
      labels: Record<string, string>,
    ): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'manager', image }] } },
      },
    });
    for (const c of ['source-controller', 'kustomize-controller']) {
      await otherClient.create(
        deployment(c, 'flux-system', `ghcr.io/fluxcd/${c}:v1.9.5`, {
          'app.kubernetes.io/part-of': 'flux',
          'app.kubernetes.io/component': c,
        }),
      );
    }
    await otherClient.create(deployment('helm-controller', 'kube-addons', 'rancher/helm-controller:v0.16.1', {}));
    const found = await detectFluxControllers(otherClient);
    expect(found.fluxRunning).toBe(true);
    expect(found.deployments.map((d) => [d.namespace, d.name, d.version]).sort()).toEqual([
      ['flux-system', 'kustomize-controller', 'v1.9.5'],
      ['flux-system', 'source-controller', 'v1.9.5'],
    ]);
    expect(found.reconciledKinds).toContain('Kustomization');
    expect(found.reconciledKinds).not.toContain('HelmRelease');
  });

  it('says so on the command line', async () => {
    const t = cliIO();
    expect(await runCli(['install', '--kubeconfig', other.kubeconfig, '--context', other.name], t.io)).toBe(0);
    expect(t.out()).toContain(`✔ using existing Flux CRD ${fluxKinds.Kustomization.crdName} (v1beta2)`);
    expect(t.out()).toContain('  ⚠ serves v1beta2 but not v1');
    expect(t.out()).toContain(`✔ using existing third-party CRD ${fluxKinds.GitRepository.crdName} (v1)`);
    expect(t.out()).toContain(`✔ unchanged ${fluxKinds.HelmRelease.crdName} (v2)`);
  });
});
