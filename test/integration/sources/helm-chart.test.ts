// HelmRepository and HelmChart end to end with real parts: an HTTP chart repository with basic auth serving charts
// packaged by the Helm helper, the real distribution registry with charts pushed by the helm CLI, and a chart in the
// test git server. Fluxdeck's controllers reconcile them in the real control plane.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:https';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';

import { runCli } from '../../../main/cli/run.ts';
import { createFluxdeck, type Fluxdeck } from '../../../main/create-fluxdeck.ts';
import { fluxKinds } from '../../../main/flux/kinds.ts';
import type { GitRepository, HelmChart, HelmRepository } from '../../../main/flux/source.ts';
import { HelmClient } from '../../../main/helm/index.ts';
import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import { unpackArtifact } from '../../../main/sources/artifacts/open-artifact.ts';
import { type ChartRepo, startChartRepo } from '../../support/chart-repo-server.ts';
import {
  clientFor,
  ensureNamespace,
  eventually,
  gitRepository,
  installCrds,
  waitForReady,
} from '../../support/flux-fixture.ts';
import { commitFiles, type GitServer, startGitServer } from '../../support/git-server.ts';
import { ensureHelmHelper } from '../../support/helm-helper.ts';
import { type RegistryServer, startRegistry } from '../../support/registry.ts';
import { makeTestPki } from '../../support/tls.ts';
import { ensureTool } from '../../tools/tools.ts';

const exec = promisify(execFile);
const cluster = inject('cluster');
const NS = 'helmsrc';
const REPO = { apiVersion: fluxKinds.HelmRepository.apiVersion, kind: 'HelmRepository' };
const CHART = { apiVersion: fluxKinds.HelmChart.apiVersion, kind: 'HelmChart' };
const GIT = { apiVersion: fluxKinds.GitRepository.apiVersion, kind: 'GitRepository' };
const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'helm');
const auth = { username: 'reader', password: 'chart-pass' };

let client: ClusterClient;
let fluxdeck: Fluxdeck;
let work: string;
let charts: ChartRepo;
const packaged = new Map<string, string>();

function helmRepository(name: string, spec: Partial<HelmRepository['spec']>): HelmRepository {
  return {
    apiVersion: REPO.apiVersion,
    kind: 'HelmRepository',
    metadata: { name, namespace: NS },
    spec: { url: charts.url, interval: '10m', secretRef: { name: 'chart-auth' }, ...spec },
  };
}

function helmChart(name: string, spec: Partial<HelmChart['spec']>): HelmChart {
  return {
    apiVersion: CHART.apiVersion,
    kind: 'HelmChart',
    metadata: { name, namespace: NS },
    spec: { chart: 'sub', interval: '10m', sourceRef: { kind: 'HelmRepository', name: 'charts' }, ...spec },
  };
}

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function secret(name: string, data: Record<string, string>): Promise<void> {
  await client.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: NS },
    stringData: data,
  });
}

/** The files of a stored chart artifact, by path inside the archive. */
async function chartFiles(chart: HelmChart): Promise<Map<string, Uint8Array>> {
  return (await unpackArtifact(await fluxdeck.store.read(chart.status!.artifact!))).files;
}

beforeAll(async () => {
  const helperPath = await ensureHelmHelper();
  // The composition root finds the helper through this override, as a packaged app finds its bundled one.
  process.env.FLUXDECK_HELM_HELPER = helperPath;
  work = await mkdtemp(join(tmpdir(), 'fluxdeck-helmsrc-'));
  charts = await startChartRepo({ basic: auth });
  const packer = new HelmClient({ path: helperPath });
  try {
    for (const version of ['0.1.0', '0.2.0', '1.0.0']) {
      const { path } = await packer.call('package', {
        path: join(fixtures, 'sub'),
        destDir: join(work, 'pkg'),
        version,
      });
      packaged.set(version, path);
      await charts.add({ name: 'sub', version, path });
    }
  } finally {
    await packer.dispose();
  }
  client = await clientFor(cluster.kubeconfig);
  await installCrds(client);
  await ensureNamespace(client, NS);
  await secret('chart-auth', auth);
  fluxdeck = await createFluxdeck({
    kubeconfigPaths: [cluster.kubeconfig],
    dataDir: join(work, 'data'),
    watchKubeconfigs: false,
    identity: 'helmsrc',
  });
  await fluxdeck.connect(cluster.name);
  await client.create(helmRepository('charts', {}));
}, 600_000);

afterAll(async () => {
  await fluxdeck.stop();
  client.close();
  await charts.close();
  await rm(work, { recursive: true, force: true });
});

describe('HelmRepository (HTTP)', () => {
  it('stores the index with the digest of the downloaded bytes as its revision', async () => {
    const repo = await waitForReady<HelmRepository>(client, REPO, NS, 'charts', (c) => c.status === 'True');
    const raw = await fetch(`${charts.url}/index.yaml`, {
      headers: { Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` },
    }).then(async (r) => new Uint8Array(await r.arrayBuffer()));
    const revision = sha256(raw);
    const artifact = repo.status!.artifact!;
    expect(artifact.revision).toBe(revision);
    expect(artifact.path).toBe(`helmrepository/${NS}/charts/index-${revision.slice('sha256:'.length)}.yaml`);
    const stored = JSON.parse((await fluxdeck.store.read(artifact)).toString('utf8')) as {
      entries: Record<string, { version: string }[]>;
    };
    expect(stored.entries.sub?.map((v) => v.version)).toEqual(['1.0.0', '0.2.0', '0.1.0']);
  });

  it('says the server refused wrong credentials, without the password', async () => {
    await secret('wrong-auth', { username: 'reader', password: 'not-the-password' });
    await client.create(helmRepository('wrong', { secretRef: { name: 'wrong-auth' } }));
    const repo = await waitForReady<HelmRepository>(client, REPO, NS, 'wrong', (c) => c.status === 'False');
    const ready = repo.status!.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready.reason).toBe('Failed');
    expect(ready.message).toContain('HTTP 401');
    expect(ready.message).not.toContain('not-the-password');
    expect(repo.status?.conditions?.find((c) => c.type === 'FetchFailed')?.status).toBe('True');
    expect(repo.status?.artifact).toBeUndefined();
  });

  it('says so when the repository does not answer', async () => {
    await client.create(helmRepository('unreachable', { url: 'http://127.0.0.1:1/charts', timeout: '5s' }));
    const repo = await waitForReady<HelmRepository>(client, REPO, NS, 'unreachable', (c) => c.status === 'False');
    const ready = repo.status!.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready.reason).toBe('Failed');
    expect(ready.message).toContain('http://127.0.0.1:1/charts/index.yaml');
  });
});

describe('HelmRepository over TLS with a private CA', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const pki = await makeTestPki(await mkdtemp(join(work, 'pki-')));
    // An HTTPS front for the chart repository, so the same index and charts come over TLS.
    server = createHttpsServer({ cert: await readFile(pki.certFile), key: await readFile(pki.keyFile) }, (req, res) => {
      fetch(`${charts.url}${req.url ?? '/'}`, {
        headers: req.headers.authorization ? { authorization: req.headers.authorization } : {},
      })
        .then(async (r) => {
          res.writeHead(r.status).end(Buffer.from(await r.arrayBuffer()));
        })
        .catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await secret('chart-ca', { 'ca.crt': pki.ca });
  });

  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('trusts the CA from certSecretRef, for the index and the chart', async () => {
    await client.create(helmRepository('tls', { url, certSecretRef: { name: 'chart-ca' } }));
    const repo = await waitForReady<HelmRepository>(client, REPO, NS, 'tls', (c) => c.status === 'True');
    const plain = await waitForReady<HelmRepository>(client, REPO, NS, 'charts', (c) => c.status === 'True');
    expect(repo.status?.artifact?.revision).toBe(plain.status?.artifact?.revision);
    await client.create(
      helmChart('over-tls', { sourceRef: { kind: 'HelmRepository', name: 'tls' }, version: '1.0.0' }),
    );
    const chart = await waitForReady<HelmChart>(client, CHART, NS, 'over-tls', (c) => c.status === 'True');
    expect(chart.status?.artifact?.revision).toBe('1.0.0');
  });

  it('refuses the server without the CA', async () => {
    await client.create(helmRepository('tls-untrusted', { url }));
    const repo = await waitForReady<HelmRepository>(client, REPO, NS, 'tls-untrusted', (c) => c.status === 'False');
    expect(repo.status?.conditions?.find((c) => c.type === 'Ready')?.message).toMatch(/certificate/);
  });
});

describe('HelmChart from an HTTP HelmRepository', () => {
  it('picks the highest version in the range and stores the chart as downloaded', async () => {
    await client.create(helmChart('ranged', { version: '<1.0.0' }));
    const chart = await waitForReady<HelmChart>(client, CHART, NS, 'ranged', (c) => c.status === 'True');
    const ready = chart.status!.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready.reason).toBe('ChartPullSucceeded');
    expect(ready.message).toBe("pulled 'sub' chart with version '0.2.0'");
    expect(chart.status?.artifact?.revision).toBe('0.2.0');
    expect(chart.status?.artifact?.path).toBe(`helmchart/${NS}/ranged/sub-0.2.0.tgz`);
    expect(chart.status?.artifact?.digest).toBe(sha256(await readFile(packaged.get('0.2.0')!)));
    expect(chart.status?.observedChartName).toBe('sub');
    const repo = await client.tryGet<HelmRepository>({ ...REPO, namespace: NS, name: 'charts' });
    expect(chart.status?.observedSourceArtifactRevision).toBe(repo?.status?.artifact?.revision);
  });

  it('keeps the last artifact when the version asked for does not exist', async () => {
    await client.create(helmChart('pinned', { version: '0.1.0' }));
    const first = await waitForReady<HelmChart>(client, CHART, NS, 'pinned', (c) => c.status === 'True');
    expect(first.status?.artifact?.revision).toBe('0.1.0');
    await client.patch({ ...CHART, namespace: NS, name: 'pinned' }, { spec: { version: '>=5.0.0' } }, 'merge');
    const failed = await waitForReady<HelmChart>(client, CHART, NS, 'pinned', (c) => c.status === 'False');
    const ready = failed.status!.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready.reason).toBe('InvalidChartReference');
    expect(ready.message).toContain('>=5.0.0');
    expect(failed.status?.artifact?.revision).toBe('0.1.0');
    expect(await fluxdeck.store.exists(failed.status!.artifact!)).toBe(true);
  });

  it('removes the stored chart and its finalizer when the HelmChart is deleted', async () => {
    await client.create(helmChart('doomed', { version: '0.1.0' }));
    const chart = await waitForReady<HelmChart>(client, CHART, NS, 'doomed', (c) => c.status === 'True');
    expect(chart.metadata.finalizers).toContain('finalizers.fluxcd.io');
    await client.delete({ ...CHART, namespace: NS, name: 'doomed' });
    await eventually('HelmChart doomed to be gone', async () =>
      (await client.tryGet({ ...CHART, namespace: NS, name: 'doomed' })) ? undefined : true,
    );
    expect(await fluxdeck.store.exists(chart.status!.artifact!)).toBe(false);
  });

  it('says which chart is missing from the index', async () => {
    await client.create(helmChart('nochart', { chart: 'nope' }));
    const chart = await waitForReady<HelmChart>(client, CHART, NS, 'nochart', (c) => c.status === 'False');
    const ready = chart.status!.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready.reason).toBe('InvalidChartReference');
    expect(ready.message).toContain("'nope'");
    expect(chart.status?.artifact).toBeUndefined();
  });

  it('merges values files into the packaged chart, with the generation as version metadata', async () => {
    await client.create(
      helmChart('valued', {
        version: '0.1.0',
        valuesFiles: ['values.yaml', 'missing.yaml'],
        ignoreMissingValuesFiles: true,
      }),
    );
    const chart = await waitForReady<HelmChart>(client, CHART, NS, 'valued', (c) => c.status === 'True');
    expect(chart.status?.artifact?.revision).toBe('0.1.0+1');
    expect(chart.status?.observedValuesFiles).toEqual(['values.yaml']);
    expect(chart.status?.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('ChartPackageSucceeded');
    const files = await chartFiles(chart);
    expect(parse(Buffer.from(files.get('sub/Chart.yaml')!).toString('utf8'))).toMatchObject({ version: '0.1.0+1' });
  });
});

describe('HelmChart from a GitRepository', () => {
  let git: GitServer;
  let commit: string;
  let open: ChartRepo;

  beforeAll(async () => {
    git = await startGitServer();
    // A repository without credentials for a dependency resolved through its index.
    open = await startChartRepo();
    await open.add({ name: 'sub', version: '0.2.0', path: packaged.get('0.2.0')! });
    await git.createRepo('charts');
    const files: Record<string, string> = {
      'values-prod.yaml': 'color: blue\nglobal:\n  env: prod\n',
    };
    for (const f of ['Chart.yaml', 'values.yaml', 'templates/configmap.yaml'])
      files[`charts/sub/${f}`] = await readFile(join(fixtures, 'sub', f), 'utf8');
    files['charts/parent/Chart.yaml'] = [
      'apiVersion: v2',
      'name: parent',
      'version: 2.0.0',
      'dependencies:',
      '  - name: sub',
      '    version: 0.1.0',
      '    repository: file://../sub',
      '',
    ].join('\n');
    files['charts/parent/values.yaml'] = 'sub:\n  color: green\n';
    files['charts/remote/Chart.yaml'] = [
      'apiVersion: v2',
      'name: remote',
      'version: 3.0.0',
      'dependencies:',
      '  - name: sub',
      '    version: ~0.2.0',
      `    repository: ${open.url}`,
      '',
    ].join('\n');
    commit = await commitFiles(git.repoPath('charts'), files);
    await client.create(gitRepository(NS, 'charts-git', `${git.url}/charts.git`));
  });

  afterAll(async () => {
    await git.close();
    await open.close();
  });

  it('packages the chart with the merged values files and the commit as version metadata', async () => {
    await client.create(
      helmChart('from-git', {
        chart: './charts/sub',
        sourceRef: { kind: 'GitRepository', name: 'charts-git' },
        reconcileStrategy: 'Revision',
        valuesFiles: ['charts/sub/values.yaml', 'values-prod.yaml'],
      }),
    );
    const chart = await waitForReady<HelmChart>(client, CHART, NS, 'from-git', (c) => c.status === 'True');
    const version = `0.1.0+${commit.slice(0, 12)}.1`;
    expect(chart.status?.artifact?.revision).toBe(version);
    expect(chart.status?.artifact?.path).toBe(`helmchart/${NS}/from-git/sub-${version}.tgz`);
    expect(chart.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      reason: 'ChartPackageSucceeded',
      message: `packaged 'sub' chart with version '${version}' and merged values files [charts/sub/values.yaml values-prod.yaml]`,
    });
    const gitRepo = await client.tryGet<GitRepository>({ ...GIT, namespace: NS, name: 'charts-git' });
    expect(chart.status?.observedSourceArtifactRevision).toBe(gitRepo?.status?.artifact?.revision);
    const values = parse(Buffer.from((await chartFiles(chart)).get('sub/values.yaml')!).toString('utf8')) as unknown;
    expect(values).toEqual({ color: 'blue', global: { env: 'prod' } });
  });

  it('packages a chart with its file:// dependency as a subchart', async () => {
    await client.create(
      helmChart('parent', { chart: 'charts/parent', sourceRef: { kind: 'GitRepository', name: 'charts-git' } }),
    );
    const chart = await waitForReady<HelmChart>(client, CHART, NS, 'parent', (c) => c.status === 'True');
    expect(chart.status?.artifact?.revision).toBe('2.0.0');
    expect(chart.status?.observedChartName).toBe('parent');
    expect([...(await chartFiles(chart)).keys()]).toContain('parent/charts/sub/Chart.yaml');
  });

  it('packages a chart with a dependency from a repository index', async () => {
    await client.create(
      helmChart('remote-dep', { chart: 'charts/remote', sourceRef: { kind: 'GitRepository', name: 'charts-git' } }),
    );
    const chart = await waitForReady<HelmChart>(client, CHART, NS, 'remote-dep', (c) => c.status === 'True');
    expect(chart.status?.artifact?.revision).toBe('3.0.0');
    const files = await chartFiles(chart);
    const sub = [...files.keys()].find((k) => k.startsWith('remote/charts/sub'));
    expect(sub).toBeDefined();
    expect(open.requests.some((r) => r.path === '/charts/sub-0.2.0.tgz')).toBe(true);
  });

  it('builds a new version when the source moves, with reconcileStrategy Revision', async () => {
    const before = await waitForReady<HelmChart>(client, CHART, NS, 'from-git', (c) => c.status === 'True');
    const next = await commitFiles(git.repoPath('charts'), { 'values-prod.yaml': 'color: purple\n' });
    await client.patch(
      { ...GIT, namespace: NS, name: 'charts-git' },
      { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': String(Date.now()) } } },
      'merge',
    );
    const version = `0.1.0+${next.slice(0, 12)}.1`;
    const after = await waitForReady<HelmChart>(
      client,
      CHART,
      NS,
      'from-git',
      (c, o) => c.status === 'True' && o.status?.artifact?.revision === version,
    );
    expect(after.status?.artifact?.revision).not.toBe(before.status?.artifact?.revision);
    const values = parse(Buffer.from((await chartFiles(after)).get('sub/values.yaml')!).toString('utf8')) as unknown;
    expect(values).toEqual({ color: 'purple', global: {} });
    // ChartVersion strategy: the same chart version from a new commit is not a new artifact.
    const parent = await client.tryGet<HelmChart>({ ...CHART, namespace: NS, name: 'parent' });
    expect(parent?.status?.artifact?.revision).toBe('2.0.0');
  });

  it('says the chart path holds no chart', async () => {
    await client.create(
      helmChart('git-missing', { chart: './charts/none', sourceRef: { kind: 'GitRepository', name: 'charts-git' } }),
    );
    const chart = await waitForReady<HelmChart>(client, CHART, NS, 'git-missing', (c) => c.status === 'False');
    const ready = chart.status!.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready.reason).toBe('InvalidChartReference');
    expect(ready.message).toContain('./charts/none');
  });
});

describe('HelmChart from an OCI HelmRepository', () => {
  let registry: RegistryServer;

  beforeAll(async () => {
    const helm = await ensureTool('helm');
    registry = await startRegistry();
    const env = {
      ...process.env,
      HELM_REGISTRY_CONFIG: join(work, 'registry.json'),
      HELM_CACHE_HOME: join(work, 'hc'),
    };
    for (const version of ['0.1.0', '0.2.0'])
      await exec(helm, ['push', packaged.get(version)!, `oci://${registry.host}/charts`, '--plain-http'], { env });
  }, 600_000);

  afterAll(async () => {
    await registry.stop();
  });

  it('pulls the highest version from the registry; the repository itself stays a static object', async () => {
    await client.create(
      helmRepository('oci', {
        type: 'oci',
        url: `oci://${registry.host}/charts`,
        insecure: true,
        secretRef: undefined,
      }),
    );
    await client.create(helmChart('from-oci', { sourceRef: { kind: 'HelmRepository', name: 'oci' }, version: '0.x' }));
    const chart = await waitForReady<HelmChart>(client, CHART, NS, 'from-oci', (c) => c.status === 'True');
    expect(chart.status?.artifact?.revision).toBe('0.2.0');
    expect(chart.status?.artifact?.path).toBe(`helmchart/${NS}/from-oci/sub-0.2.0.tgz`);
    expect(chart.status?.artifact?.digest).toBe(sha256(await readFile(packaged.get('0.2.0')!)));
    const repo = await client.tryGet<HelmRepository>({ ...REPO, namespace: NS, name: 'oci' });
    expect(repo?.status?.artifact).toBeUndefined();
  });

  it('says no tag matches the version', async () => {
    await client.create(
      helmChart('oci-missing', { sourceRef: { kind: 'HelmRepository', name: 'oci' }, version: '>=9.0.0' }),
    );
    const chart = await waitForReady<HelmChart>(client, CHART, NS, 'oci-missing', (c) => c.status === 'False');
    const ready = chart.status!.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready.reason).toBe('ChartPullError');
    expect(ready.message).toContain('>=9.0.0');
  });
});

describe('fluxdeck CLI', () => {
  const io = (): { out: string[]; err: string[]; io: Parameters<typeof runCli>[1] } => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (t) => out.push(t), err: (t) => err.push(t), signal: new AbortController().signal } };
  };
  const flags = (): string[] => ['--kubeconfig', cluster.kubeconfig, '-n', NS];

  it('lists charts and repositories, and reconciles a chart', async () => {
    await waitForReady<HelmChart>(client, CHART, NS, 'ranged', (c) => c.status === 'True');
    const charts = io();
    expect(await runCli(['get', 'sources', 'chart', ...flags()], charts.io)).toBe(0);
    expect(charts.out.join('')).toMatch(/ranged\s+0\.2\.0\s+false\s+True\s+pulled 'sub' chart with version '0\.2\.0'/);
    const repos = io();
    expect(await runCli(['get', 'sources', 'helm', 'charts', ...flags()], repos.io)).toBe(0);
    expect(repos.out.join('')).toMatch(/charts\s+sha256:[0-9a-f]{64}\s+false\s+True/);
    const rec = io();
    expect(await runCli(['reconcile', 'source', 'chart', 'ranged', '--with-source', ...flags()], rec.io)).toBe(0);
    expect(rec.err.join('')).toContain("pulled 'sub' chart with version '0.2.0'");
  });
});
