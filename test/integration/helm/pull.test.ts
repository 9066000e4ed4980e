// Pulls charts through the Helm helper from a real HTTP chart repository (index.yaml + packaged charts, basic auth).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HelmClient, type HelmError } from '../../../main/helm/index.ts';
import { type ChartRepo, startChartRepo } from '../../support/chart-repo-server.ts';
import { ensureHelmHelper } from '../../support/helm-helper.ts';
import { type OciRegistry, startOciRegistry } from '../../support/oci-registry-server.ts';
import { ensureTool } from '../../tools/tools.ts';

const exec = promisify(execFile);

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'helm');
const auth = { username: 'reader', password: 'chart-pass' };

let dir: string;
let helper: HelmClient;
let repo: ChartRepo;

async function failure(p: Promise<unknown>): Promise<HelmError> {
  try {
    await p;
  } catch (err) {
    return err as HelmError;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  helper = new HelmClient({ path: await ensureHelmHelper() });
  dir = await mkdtemp(join(tmpdir(), 'fluxdeck-helm-pull-'));
  repo = await startChartRepo({ basic: auth });
  for (const version of ['0.1.0', '0.2.0', '1.0.0']) {
    const { path } = await helper.call('package', { path: join(fixtures, 'sub'), destDir: join(dir, 'pkg'), version });
    await repo.add({ name: 'sub', version, path });
  }
}, 600_000);

afterAll(async () => {
  await helper.dispose();
  await repo.close();
  await rm(dir, { recursive: true, force: true });
});

describe('pull from an HTTP chart repository', () => {
  it('pulls the latest version matching a range, with the digest of what it wrote', async () => {
    const got = await helper.call('pull', {
      url: repo.url,
      chart: 'sub',
      version: '<1.0.0',
      auth,
      destDir: join(dir, 'a'),
    });
    expect(got).toMatchObject({ name: 'sub', version: '0.2.0', url: `${repo.url}/charts/sub-0.2.0.tgz` });
    const data = await readFile(got.path);
    expect(got.digest).toBe(`sha256:${createHash('sha256').update(data).digest('hex')}`);
    expect(got.size).toBe(data.length);
    const rendered = await helper.call('template', { chart: { path: got.path }, releaseName: 'x' });
    expect(rendered.chart.version).toBe('0.2.0');
  });

  it('pulls the latest stable version when none is asked for', async () => {
    const got = await helper.call('pull', { url: `${repo.url}/`, chart: 'sub', auth, destDir: join(dir, 'b') });
    expect(got.version).toBe('1.0.0');
  });

  it('says the credentials were refused when they are wrong or missing', async () => {
    const wrong = await failure(
      helper.call('pull', {
        url: repo.url,
        chart: 'sub',
        auth: { username: 'reader', password: 'nope' },
        destDir: join(dir, 'c'),
      }),
    );
    expect(wrong.code).toBe('Unauthorized');
    expect(wrong.message).toContain(`${repo.url}/index.yaml refused the credentials`);
    expect(wrong.message).not.toContain('nope');
    const none = await failure(helper.call('pull', { url: repo.url, chart: 'sub', destDir: join(dir, 'c') }));
    expect(none.code).toBe('Unauthorized');
  });

  it('says a repository that does not answer is unreachable, not the cluster', async () => {
    const err = await failure(
      helper.call('pull', { url: 'http://127.0.0.1:1', chart: 'sub', destDir: join(dir, 'e'), timeoutMs: 5000 }),
    );
    expect(err.code).toBe('RepoUnreachable');
    expect(err.message).toContain('http://127.0.0.1:1/index.yaml');
  });

  it('reports a chart or version the index does not have as ChartNotFound', async () => {
    const name = await failure(helper.call('pull', { url: repo.url, chart: 'nope', auth, destDir: join(dir, 'd') }));
    expect(name.code).toBe('ChartNotFound');
    const version = await failure(
      helper.call('pull', { url: repo.url, chart: 'sub', version: '>=2.0.0', auth, destDir: join(dir, 'd') }),
    );
    expect(version.code).toBe('ChartNotFound');
    expect(version.message).toContain('>=2.0.0');
  });
});

describe('pull from an OCI registry', () => {
  let registry: OciRegistry;

  beforeAll(async () => {
    const helm = await ensureTool('helm');
    registry = await startOciRegistry({ basic: auth });
    const env = { ...process.env, HELM_REGISTRY_CONFIG: join(dir, 'registry.json'), HELM_CACHE_HOME: join(dir, 'c') };
    for (const version of ['0.1.0', '0.2.0']) {
      const tgz = join(dir, 'pkg', `sub-${version}.tgz`);
      await exec(
        helm,
        [
          'push',
          tgz,
          `oci://${registry.host}/charts`,
          '--plain-http',
          '--username',
          auth.username,
          '--password',
          auth.password,
        ],
        { env },
      );
    }
  }, 600_000);

  afterAll(async () => {
    await registry.close();
  });

  it('pulls a chart pushed by helm, by exact version and by range', async () => {
    const url = `oci://${registry.host}/charts`;
    const exact = await helper.call('pull', {
      url,
      chart: 'sub',
      version: '0.1.0',
      auth: { ...auth, plainHTTP: true },
      destDir: join(dir, 'o1'),
    });
    expect(exact).toMatchObject({ name: 'sub', version: '0.1.0', url: `${url}/sub:0.1.0` });
    const data = await readFile(exact.path);
    expect(exact.digest).toBe(`sha256:${createHash('sha256').update(data).digest('hex')}`);
    const ranged = await helper.call('pull', {
      url,
      chart: 'sub',
      version: '~0.2',
      auth: { ...auth, plainHTTP: true },
      destDir: join(dir, 'o2'),
    });
    expect(ranged.version).toBe('0.2.0');
  });

  it('says the registry refused wrong credentials, and that a missing tag is not found', async () => {
    const url = `oci://${registry.host}/charts`;
    const wrong = await failure(
      helper.call('pull', {
        url,
        chart: 'sub',
        version: '0.1.0',
        auth: { username: 'reader', password: 'bad', plainHTTP: true },
        destDir: join(dir, 'o3'),
      }),
    );
    expect(wrong.code).toBe('Unauthorized');
    const missing = await failure(
      helper.call('pull', {
        url,
        chart: 'sub',
        version: '9.9.9',
        auth: { ...auth, plainHTTP: true },
        destDir: join(dir, 'o3'),
      }),
    );
    expect(missing.code).toBe('ChartNotFound');
  });
});
