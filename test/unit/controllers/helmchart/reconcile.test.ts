import { describe, expect, it } from 'vitest';

import {
  type BuildInput,
  type ChartBuild,
  ChartBuildError,
  type HelmChartPorts,
  type SourceLookup,
} from '../../../../main/controllers/helmchart/ports.ts';
import { buildSummary, reconcileHelmChart } from '../../../../main/controllers/helmchart/reconcile.ts';
import type { Artifact, HelmChart, HelmChartStatus, HelmRepository } from '../../../../main/flux/source.ts';

const REPO: HelmRepository = {
  apiVersion: 'source.toolkit.fluxcd.io/v1',
  kind: 'HelmRepository',
  metadata: { name: 'charts', namespace: 'apps' },
  spec: { url: 'https://charts.example.com' },
};
const REPO_ARTIFACT: Artifact = {
  path: 'helmrepository/apps/charts/index-abc.yaml',
  url: 'http://x',
  revision: 'sha256:abc',
  digest: 'sha256:def',
  lastUpdateTime: '2026-12-04T00:00:00Z',
};

function chart(status?: HelmChartStatus, generation = 1): HelmChart {
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'HelmChart',
    metadata: { name: 'app', namespace: 'apps', generation, finalizers: ['finalizers.fluxcd.io'] },
    spec: { chart: 'app', version: '1.x', interval: '5m', sourceRef: { kind: 'HelmRepository', name: 'charts' } },
    ...(status ? { status } : {}),
  };
}

const artifactFor = (version: string): Artifact => ({
  path: `helmchart/apps/app/app-${version}.tgz`,
  url: 'http://x',
  revision: version,
  digest: `sha256:${version}`,
  lastUpdateTime: '2026-12-04T00:00:00Z',
});

function harness(opts: { lookup?: SourceLookup; build?: (i: BuildInput) => Promise<ChartBuild> } = {}) {
  const h = {
    statuses: [] as HelmChartStatus[],
    events: [] as { type: string; reason: string }[],
    inputs: [] as BuildInput[],
  };
  const ports: HelmChartPorts = {
    source: () =>
      Promise.resolve(opts.lookup ?? { found: true, source: REPO, artifact: REPO_ARTIFACT, artifactExists: true }),
    build: (input) => {
      h.inputs.push(input);
      return opts.build
        ? opts.build(input)
        : Promise.resolve({
            name: 'app',
            version: '1.2.0',
            packaged: false,
            valuesFiles: [],
            artifact: artifactFor('1.2.0'),
          });
    },
    artifactExists: () => Promise.resolve(true),
    deleteArtifacts: () => Promise.resolve(),
    writeStatus: (_c, s) => {
      h.statuses.push(structuredClone(s));
      return Promise.resolve();
    },
    setFinalizer: () => Promise.resolve(),
    event: (_c, e) => h.events.push(e),
    now: () => new Date('2026-12-04T00:00:00Z'),
  };
  return { h, ports, last: () => h.statuses.at(-1)! };
}

const cond = (s: HelmChartStatus, type: string) => s.conditions?.find((c) => c.type === type);
const signal = new AbortController().signal;

describe('reconcileHelmChart', () => {
  it('stores a pulled chart with Flux conditions, event and observed fields', async () => {
    const { h, ports, last } = harness();
    const out = await reconcileHelmChart(chart(), ports, signal);
    expect(out.requeueAfterMs).toBe(300_000);
    const s = last();
    expect(s.artifact?.revision).toBe('1.2.0');
    expect(s.observedChartName).toBe('app');
    expect(s.observedSourceArtifactRevision).toBe('sha256:abc');
    expect(cond(s, 'Ready')).toMatchObject({
      status: 'True',
      reason: 'ChartPullSucceeded',
      message: "pulled 'app' chart with version '1.2.0'",
    });
    expect(cond(s, 'ArtifactInStorage')?.status).toBe('True');
    expect(cond(s, 'Reconciling')).toBeUndefined();
    expect(h.events).toMatchObject([{ type: 'Normal', reason: 'ChartPullSucceeded' }]);
  });

  it('passes the stored chart for reuse only when the generation was observed', async () => {
    const status = { observedGeneration: 1, observedChartName: 'app', artifact: artifactFor('1.2.0') };
    const same = harness();
    await reconcileHelmChart(chart(status, 1), same.ports, signal);
    expect(same.h.inputs[0]?.cached).toMatchObject({ name: 'app', artifact: { revision: '1.2.0' } });
    const moved = harness();
    await reconcileHelmChart(chart(status, 2), moved.ports, signal);
    expect(moved.h.inputs[0]?.cached).toBeUndefined();
  });

  it('keeps the last artifact on a failed build, with the reason on FetchFailed or BuildFailed', async () => {
    const status = { observedGeneration: 1, observedChartName: 'app', artifact: artifactFor('1.2.0') };
    const ref = harness({
      build: () => Promise.reject(new ChartBuildError('InvalidChartReference', "no 'app' chart")),
    });
    await reconcileHelmChart(chart(status), ref.ports, signal);
    expect(ref.last().artifact?.revision).toBe('1.2.0');
    expect(cond(ref.last(), 'FetchFailed')).toMatchObject({ status: 'True', reason: 'InvalidChartReference' });
    expect(cond(ref.last(), 'Ready')).toMatchObject({
      status: 'False',
      reason: 'InvalidChartReference',
      message: "invalid chart reference: no 'app' chart",
    });
    const values = harness({ build: () => Promise.reject(new ChartBuildError('ValuesFilesError', 'no values file')) });
    await reconcileHelmChart(chart(status), values.ports, signal);
    expect(cond(values.last(), 'BuildFailed')?.reason).toBe('ValuesFilesError');
    expect(cond(values.last(), 'FetchFailed')).toBeUndefined();
    expect(values.h.events.at(-1)).toMatchObject({ type: 'Warning', reason: 'ValuesFilesError' });
  });

  it('waits for the source: missing, or without an artifact', async () => {
    const missing = harness({ lookup: { found: false, message: "HelmRepository 'apps/charts' not found" } });
    await reconcileHelmChart(chart(), missing.ports, signal);
    expect(cond(missing.last(), 'Ready')).toMatchObject({ status: 'False', reason: 'SourceUnavailable' });
    const empty = harness({ lookup: { found: true, source: REPO, artifactExists: false } });
    await reconcileHelmChart(chart(), empty.ports, signal);
    expect(cond(empty.last(), 'FetchFailed')).toMatchObject({
      reason: 'NoSourceArtifact',
      message: "no artifact available for HelmRepository source 'charts'",
    });
    expect(empty.h.inputs).toHaveLength(0);
  });

  it('builds from an OCI HelmRepository, which has no artifact', async () => {
    const oci = { ...REPO, spec: { url: 'oci://r.example/charts', type: 'oci' as const } };
    const { ports, last } = harness({ lookup: { found: true, source: oci, artifactExists: false } });
    await reconcileHelmChart(chart(), ports, signal);
    expect(cond(last(), 'Ready')?.status).toBe('True');
  });

  it('summarises a build as Flux does', () => {
    expect(buildSummary({ name: 'a', version: '1.0.0+3', packaged: true, valuesFiles: ['x.yaml', 'y.yaml'] })).toBe(
      "packaged 'a' chart with version '1.0.0+3' and merged values files [x.yaml y.yaml]",
    );
  });
});
