/**
 * A small chart for HelmRelease tests of the UI and the workbench: a Deployment and a ConfigMap whose replicas and
 * greeting come from values, and a test hook (a Job that KWOK runs to completion), packaged by the Helm helper and
 * served from a real HTTP chart repository, so a HelmRepository → HelmChart → HelmRelease chain can pull it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { fluxKinds } from '../../main/flux/kinds.ts';
import { HelmClient } from '../../main/helm/index.ts';
import type { KubeObject } from '../../main/util/kube-object.ts';
import { type ChartRepo, startChartRepo } from './chart-repo-server.ts';

const TEMPLATES: Record<string, string> = {
  'deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: { app: {{ .Release.Name }}-web }
  template:
    metadata:
      labels: { app: {{ .Release.Name }}-web }
    spec:
      containers:
        - name: web
          image: nginx:1.27
`,
  'configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  greeting: {{ .Values.greeting | quote }}
`,
  'tests/ping.yaml': `apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-ping
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: ping
          image: busybox:1.36
`,
};

/** Packages chart `name` at `version` into `dir` with the helper and adds it to `repo`. */
export async function publishTestChart(
  repo: ChartRepo,
  helperPath: string,
  dir: string,
  name = 'hello',
  version = '1.0.0',
): Promise<void> {
  const chartDir = join(dir, `${name}-${version}`, name);
  await mkdir(join(chartDir, 'templates', 'tests'), { recursive: true });
  await writeFile(
    join(chartDir, 'Chart.yaml'),
    `apiVersion: v2\nname: ${name}\nversion: ${version}\nappVersion: "1.0"\n`,
  );
  await writeFile(join(chartDir, 'values.yaml'), 'replicas: 1\ngreeting: hi\n');
  for (const [file, text] of Object.entries(TEMPLATES)) await writeFile(join(chartDir, 'templates', file), text);
  const helper = new HelmClient({ path: helperPath });
  try {
    const { path } = await helper.call('package', { path: chartDir, destDir: join(dir, 'packages') });
    await repo.add({ name, version, appVersion: '1.0', path });
  } finally {
    await helper.dispose();
  }
}

/** A chart repository serving the test chart. */
export async function startTestChartRepo(helperPath: string, dir: string): Promise<ChartRepo> {
  const repo = await startChartRepo();
  await publishTestChart(repo, helperPath, dir);
  return repo;
}

export function helmRepository(namespace: string, name: string, url: string): KubeObject {
  return {
    apiVersion: fluxKinds.HelmRepository.apiVersion,
    kind: 'HelmRepository',
    metadata: { name, namespace },
    spec: { url, interval: '10m' },
  };
}

/** A HelmRelease of the test chart from `repository` (its chart template makes the HelmChart). */
export function testHelmRelease(
  namespace: string,
  name: string,
  repository: string,
  spec: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: fluxKinds.HelmRelease.apiVersion,
    kind: 'HelmRelease',
    metadata: { name, namespace },
    spec: {
      interval: '10m',
      timeout: '90s',
      chart: { spec: { chart: 'hello', version: '1.0.0', sourceRef: { kind: 'HelmRepository', name: repository } } },
      ...spec,
    },
  };
}
