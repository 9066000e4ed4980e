// helmCharts (kustomize's HelmChartInflationGenerator): what the engine asks Helm to render (values merged as
// kustomize merges them, the chart directory, the flags), its refusals, the render-and-build-again loop, and Flux's
// refusal. The differential corpus (cases with ENABLE_HELM) compares whole builds with kubectl; here the renderer is
// a stand-in that records requests, and one test runs the real CLI with the Helm helper.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';

import {
  build,
  buildWithHelm,
  fluxBuild,
  type HelmTemplateRequest,
  KustomizeError,
  MemoryFs,
} from '../../../main/kustomize/index.ts';
import { ensureHelmHelper } from '../../support/helm-helper.ts';
import { fixtures, kubectlHelmCommand, kubectlKustomize } from './corpus.ts';

const CHART = {
  'app/charts/demo/Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 1.0.0\n',
  'app/charts/demo/values.yaml': [
    'replicas: 1',
    'enabled: false',
    'image:',
    '  repository: nginx',
    '  tag: "1.25"',
    'ports: [80]',
    'flag: on',
    '',
  ].join('\n'),
};

const MANIFEST = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-chart\ndata:\n  a: b\n';

/** Builds `app` with a renderer that records each request and answers with MANIFEST. */
async function inflate(kustomization: string, extra: Record<string, string> = {}) {
  const fs = new MemoryFs({ ...CHART, ...extra, 'app/kustomization.yaml': kustomization });
  const requests: HelmTemplateRequest[] = [];
  const { objects } = await buildWithHelm(
    (helm) => build(fs, 'app', { helm }),
    (req) => {
      requests.push(req);
      return Promise.resolve(MANIFEST);
    },
  );
  return { objects, requests };
}

async function inflateError(kustomization: string, extra: Record<string, string> = {}): Promise<KustomizeError> {
  try {
    await inflate(kustomization, extra);
  } catch (err) {
    if (err instanceof KustomizeError) return err;
    throw err;
  }
  throw new Error('the build should have failed');
}

describe('helmCharts values, as kustomize works them out', () => {
  it('passes the chart values file as it is when there are no inline values (YAML 1.1 booleans read as Helm does)', async () => {
    const { requests } = await inflate('helmCharts:\n- name: demo\n  releaseName: r\n');
    expect(requests).toEqual([
      {
        chart: 'app/charts/demo',
        releaseName: 'r',
        values: { replicas: 1, enabled: false, image: { repository: 'nginx', tag: '1.25' }, ports: [80], flag: true },
        includeCRDs: false,
        skipTests: false,
        skipHooks: false,
        apiVersions: [],
      },
    ]);
  });

  it('override (the default) lets inline values win, merging maps key by key', async () => {
    const { requests } = await inflate(
      'helmCharts:\n- name: demo\n  valuesInline:\n    replicas: 3\n    image: {tag: "2"}\n    ports: [8080]\n',
    );
    expect(requests[0]?.values).toMatchObject({
      replicas: 3,
      image: { repository: 'nginx', tag: '2' },
      ports: [8080],
    });
    expect(requests[0]?.releaseName).toBe('release-name');
  });

  it('merge only fills what is missing in the chart values (mergo without override keeps false and 0)', async () => {
    const { requests } = await inflate(
      'helmCharts:\n- name: demo\n  valuesMerge: merge\n  valuesInline:\n    replicas: 3\n    enabled: true\n    extra: x\n    image: {pullPolicy: Always}\n',
    );
    expect(requests[0]?.values).toMatchObject({
      replicas: 1,
      enabled: false,
      extra: 'x',
      image: { repository: 'nginx', pullPolicy: 'Always' },
    });
  });

  it('replace uses the inline values alone', async () => {
    const { requests } = await inflate(
      'helmCharts:\n- name: demo\n  valuesMerge: replace\n  valuesInline: {replicas: 2}\n',
    );
    expect(requests[0]?.values).toEqual({ replicas: 2 });
  });

  it('applies additional values files on top with Helm merge, and passes the flags through', async () => {
    const { requests } = await inflate(
      [
        'helmGlobals: {chartHome: charts}',
        'helmCharts:',
        '- name: demo',
        '  namespace: apps',
        '  includeCRDs: true',
        '  skipTests: true',
        '  skipHooks: true',
        '  apiVersions: [monitoring.coreos.com/v1]',
        '  kubeVersion: "1.29"',
        '  additionalValuesFiles: [prod.yaml]',
        '',
      ].join('\n'),
      { 'app/prod.yaml': 'image:\n  tag: prod\nports: []\n' },
    );
    expect(requests[0]).toMatchObject({
      namespace: 'apps',
      includeCRDs: true,
      skipTests: true,
      skipHooks: true,
      apiVersions: ['monitoring.coreos.com/v1'],
      kubeVersion: '1.29',
      values: { image: { repository: 'nginx', tag: 'prod' }, ports: [] },
    });
  });

  it('looks in chartHome/NAME-VERSION when repo and version are set', async () => {
    const fs = {
      'app/charts/demo-1.0.0/demo/Chart.yaml': CHART['app/charts/demo/Chart.yaml'],
      'app/charts/demo-1.0.0/demo/values.yaml': 'v: 1\n',
    };
    const { requests } = await inflate(
      'helmCharts:\n- name: demo\n  repo: https://charts.example.com\n  version: 1.0.0\n',
      fs,
    );
    expect(requests[0]).toMatchObject({ chart: 'app/charts/demo-1.0.0/demo', values: { v: 1 } });
  });

  it('adds the rendered objects after the generators, renders each chart once', async () => {
    const { objects, requests } = await inflate(
      'sortOptions: {order: fifo}\nconfigMapGenerator:\n- name: gen\n  literals: [k=v]\nhelmCharts:\n- name: demo\n  releaseName: r\n',
    );
    expect(objects.map((o) => o.metadata.name)).toEqual([expect.stringMatching(/^gen-/), 'from-chart']);
    expect(requests).toHaveLength(1);
  });
});

describe('helmCharts refusals', () => {
  it('refuses charts without Helm enabled, saying what to do', () => {
    const fs = new MemoryFs({ ...CHART, 'app/kustomization.yaml': 'helmCharts:\n- name: demo\n' });
    expect(() => build(fs, 'app')).toThrow(
      /must specify --enable-helm.*fluxdeck kustomize build --enable-helm.*HelmRelease/,
    );
  });

  it('Flux never inflates them (kustomize-controller builds with Helm disabled)', () => {
    const fs = new MemoryFs({ ...CHART, 'app/kustomization.yaml': 'helmCharts:\n- name: demo\n' });
    expect(() => fluxBuild(fs, 'app', {})).toThrow(/must specify --enable-helm/);
  });

  it('an empty list needs no Helm', () => {
    const fs = new MemoryFs({
      'app/kustomization.yaml': 'helmCharts: []\nresources: [cm.yaml]\n',
      'app/cm.yaml': MANIFEST,
    });
    expect(build(fs, 'app').objects).toHaveLength(1);
  });

  it('a chart that is not there: kustomize words it without a repo; with one, says how to pull it', async () => {
    expect((await inflateError('helmCharts:\n- name: absent\n')).message).toContain(
      "no repo specified for pull, no chart found at 'app/charts/absent'",
    );
    const pull = await inflateError('helmCharts:\n- name: absent\n  repo: https://charts.example.com\n');
    expect(pull.message).toContain('helm pull --untar --untardir app/charts --repo https://charts.example.com absent');
  });

  it('refuses a bad valuesMerge, an empty name, unknown fields and wrong types, naming the file', async () => {
    const bad = [
      ['helmCharts:\n- name: demo\n  valuesMerge: combine\n', 'valuesMerge must be one of [merge override replace]'],
      ['helmCharts:\n- releaseName: x\n', 'chart name cannot be empty'],
      ['helmCharts:\n- name: demo\n  valuesInlne: {}\n', 'unknown field "valuesInlne"'],
      ['helmCharts:\n- name: demo\n  includeCRDs: "yes"\n', 'HelmChart.includeCRDs of type bool'],
      ['helmCharts:\n- name: demo\n  releaseName: a\n  nameTemplate: b\n', 'cannot set --name-template'],
      ['helmCharts:\n- name: demo\n  nameTemplate: "{{ randAlpha 5 }}"\n', 'set releaseName instead'],
    ] as const;
    for (const [k, message] of bad) {
      const err = await inflateError(k);
      expect(err.message).toContain(message);
      expect(err.file).toBe('app/kustomization.yaml');
    }
  });
});

const run = promisify(execFile);
const cli = join(import.meta.dirname, '../../../bin/fluxdeck.mjs');

describe('fluxdeck kustomize build --enable-helm', () => {
  it('prints what kubectl kustomize --enable-helm prints, inflating with the Helm helper', async () => {
    const dir = join(fixtures, 'helm-chart-inline-values-override');
    const env = { ...process.env, FLUXDECK_FROM_SOURCE: '1', FLUXDECK_HELM_HELPER: await ensureHelmHelper() };
    const [ours, ref] = await Promise.all([
      run(process.execPath, [cli, 'kustomize', 'build', '--enable-helm', dir], { env }),
      kubectlKustomize(dir, { helmCommand: await kubectlHelmCommand() }),
    ]);
    if (!ref.ok) throw new Error(ref.err);
    expect(ours.stdout).toBe(ref.out);
  }, 600_000);

  it('refuses --enable-helm with --flux: Flux never inflates charts', async () => {
    const err = await run(process.execPath, [cli, 'kustomize', 'build', '--enable-helm', '--flux', 'x.yaml', '.'], {
      env: { ...process.env, FLUXDECK_FROM_SOURCE: '1' },
    }).then(
      () => undefined,
      (e: unknown) => e as { code: number; stderr: string },
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toContain('--enable-helm does not apply with --flux');
  });
});
