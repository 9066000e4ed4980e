// Renders the fixture charts with the Helm helper and with the `helm` CLI built from the same module version, and
// requires identical output: the helper is Helm, so anything else is a bug in how we call it.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HelmClient, type HelmError } from '../../../main/helm/index.ts';
import { ensureHelmHelper } from '../../support/helm-helper.ts';
import { ensureTool } from '../../tools/tools.ts';

const exec = promisify(execFile);
const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'helm');

let dir: string;
let helm: string;
let client: HelmClient;

async function helmTemplate(args: string[]): Promise<string> {
  const { stdout } = await exec(helm, ['template', ...args], {
    env: { ...process.env, HELM_CACHE_HOME: join(dir, 'c') },
  });
  return stdout;
}

async function failure(p: Promise<unknown>): Promise<HelmError> {
  try {
    await p;
  } catch (err) {
    return err as HelmError;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  [helm] = await Promise.all([ensureTool('helm'), ensureHelmHelper()]);
  client = new HelmClient({ path: await ensureHelmHelper() });
  dir = await mkdtemp(join(tmpdir(), 'fluxdeck-helm-render-'));
  await cp(fixtures, join(dir, 'charts'), { recursive: true });
  await client.call('dependencies', { path: join(dir, 'charts', 'app') });
}, 600_000);

afterAll(async () => {
  await client.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('helm template parity', () => {
  it('renders a chart directory with subchart, library, hooks, tests and CRDs exactly as helm template', async () => {
    const valuesFile = join(dir, 'override.yaml');
    await writeFile(valuesFile, 'replicas: 3\ngreeting: hi\nsub:\n  color: green\n');
    const chart = join(dir, 'charts', 'app');
    const ours = await client.call('template', {
      chart: { path: chart },
      releaseName: 'shop',
      namespace: 'prod',
      valuesFiles: [valuesFile],
      values: { image: 'registry.example.com/app:2.1.0' },
      includeCRDs: true,
    });
    const ref = await helmTemplate([
      'shop',
      chart,
      '-n',
      'prod',
      '-f',
      valuesFile,
      '--set',
      'image=registry.example.com/app:2.1.0',
      '--include-crds',
    ]);
    expect(ours.output).toBe(ref);
    expect(ours.chart).toEqual({ name: 'app', version: '1.2.0', appVersion: '2.0.0' });
    expect(ours.hooks.map((h) => [h.name, h.events, h.weight])).toEqual(
      expect.arrayContaining([
        ['shop-migrate', ['pre-install', 'pre-upgrade'], -5],
        ['shop-installed', ['post-install'], 5],
        ['shop-smoke', ['test'], 0],
      ]),
    );
    expect(ours.manifest).toContain('color: "green"');
    expect(ours.notes).toContain('shop is installed in prod.');
  });

  it('renders a packaged .tgz with a kube version, extra API versions and without tests as helm template', async () => {
    const { path } = await client.call('package', { path: join(dir, 'charts', 'app'), destDir: join(dir, 'pkg') });
    expect(path).toBe(join(dir, 'pkg', 'app-1.2.0.tgz'));
    const ours = await client.call('template', {
      chart: { path },
      releaseName: 'r',
      namespace: 'ns',
      kubeVersion: '1.30.2',
      apiVersions: ['widgets.test.fluxdeck.dev/v1'],
      skipTests: true,
      isUpgrade: true,
    });
    const ref = await helmTemplate([
      'r',
      path,
      '-n',
      'ns',
      '--kube-version',
      '1.30.2',
      '--api-versions',
      'widgets.test.fluxdeck.dev/v1',
      '--skip-tests',
      '--is-upgrade',
    ]);
    expect(ours.output).toBe(ref);
    expect(ours.output).toContain('kubeVersion: "v1.30.2"');
    expect(ours.output).not.toContain('shop-smoke');
  });

  it('serves many renders at once from one helper process', async () => {
    const chart = { path: join(dir, 'charts', 'app') };
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => client.call('template', { chart, releaseName: `r${i}`, namespace: 'ns' })),
    );
    results.forEach((r, i) => expect(r.manifest).toContain(`name: r${i}-config`));
  });

  it('passes the manifest, not the hooks, through the post-renderer callback', async () => {
    const seen: string[] = [];
    const ours = await client.call(
      'template',
      { chart: { path: join(dir, 'charts', 'app') }, releaseName: 'pr', namespace: 'ns' },
      {
        postRenderer: (m) => {
          seen.push(m);
          return m.replaceAll('app.kubernetes.io/managed-by: Helm', 'app.kubernetes.io/managed-by: Fluxdeck');
        },
      },
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]).not.toContain('pr-migrate');
    expect(ours.manifest).toContain('app.kubernetes.io/managed-by: Fluxdeck');
    expect(ours.manifest).not.toContain('app.kubernetes.io/managed-by: Helm');
  });

  it('reports a failing post-renderer as PostRenderFailed', async () => {
    const err = await failure(
      client.call(
        'template',
        { chart: { path: join(dir, 'charts', 'app') }, releaseName: 'pr', namespace: 'ns' },
        {
          postRenderer: () => {
            throw new Error('patch target Deployment/missing not found');
          },
        },
      ),
    );
    expect(err.code).toBe('PostRenderFailed');
    expect(err.message).toContain('patch target Deployment/missing not found');
  });
});

describe('typed errors for bad input', () => {
  it('names the template and line of a template error', async () => {
    const err = await failure(client.call('template', { chart: { path: join(dir, 'charts', 'broken') } }));
    expect(err.code).toBe('RenderFailed');
    expect(err.message).toContain('the broken chart always fails');
    expect(err.details.template).toBe('broken/templates/configmap.yaml');
    expect(err.details.line).toBe('7');
  });

  it('rejects values that fail the chart schema', async () => {
    const err = await failure(
      client.call('template', { chart: { path: join(dir, 'charts', 'app') }, values: { replicas: 'three' } }),
    );
    expect(err.code).toBe('ValuesInvalid');
    expect(err.message).toContain('replicas');
  });

  it('reports a missing chart, missing dependencies and an unparsable values file', async () => {
    expect((await failure(client.call('template', { chart: { path: join(dir, 'nope') } }))).code).toBe('ChartNotFound');
    const noDeps = await failure(client.call('template', { chart: { path: join(fixtures, 'app') } }));
    expect(noDeps.code).toBe('ChartInvalid');
    expect(noDeps.message).toContain('missing dependencies');
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'replicas: [unclosed\n');
    const badValues = await failure(
      client.call('template', { chart: { path: join(dir, 'charts', 'app') }, valuesFiles: [bad] }),
    );
    expect(badValues.code).toBe('ValuesInvalid');
    expect(badValues.message).toContain('bad.yaml');
  });

  it('refuses a chart over the size limit as TooLarge', async () => {
    const big = join(dir, 'charts', 'big');
    await cp(join(fixtures, 'sub'), big, { recursive: true });
    await writeFile(join(big, 'files-huge.bin'), Buffer.alloc(60 << 20));
    const err = await failure(client.call('template', { chart: { path: big } }));
    expect(err.code).toBe('TooLarge');
    await rm(big, { recursive: true, force: true });
  });

  it('rejects an unknown operation and a bad kube version as BadRequest', async () => {
    const unknown = await failure(client.call('frobnicate' as 'version', {}));
    expect(unknown.code).toBe('BadRequest');
    const kv = await failure(
      client.call('template', { chart: { path: join(dir, 'charts', 'app') }, kubeVersion: 'not-a-version' }),
    );
    expect(kv.code).toBe('BadRequest');
  });
});
