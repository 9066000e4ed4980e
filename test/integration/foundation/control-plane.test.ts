import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { describe, expect, inject, it } from 'vitest';

import {
  apiRequest,
  type ApiTarget,
  KUBERNETES_VERSION,
  loadState,
  startCluster,
} from '../../cluster/control-plane.ts';
import { isOurProcess, startComponent, startWatchdog } from '../../cluster/processes.ts';

// Smoke tests proving the test control plane is a real Kubernetes: real version, CRDs served, workloads driven to
// Available by the controller-manager, scheduler and KWOK, namespaces finalized, several clusters at once.

const cluster = inject('cluster');

async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  on: ApiTarget = cluster,
): Promise<{ status: number; json: T }> {
  const res = await apiRequest(on, method, path, body);
  return { status: res.status, json: (res.body ? JSON.parse(res.body) : {}) as T };
}

async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

describe('test control plane', () => {
  it('reports the Kubernetes version it was built as', async () => {
    const { json } = await api<{ gitVersion: string; major: string }>('GET', '/version');
    expect(json.gitVersion).toBe(KUBERNETES_VERSION);
    expect(json.major).toBe('1');
  });

  it('serves a custom resource once its CRD is established', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.smoke.fluxdeck.dev' },
      spec: {
        group: 'smoke.fluxdeck.dev',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
    expect((await api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201);
    await eventually('CRD established', async () => {
      const { json } = await api<{ status?: { conditions?: { type: string; status: string }[] } }>(
        'GET',
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.smoke.fluxdeck.dev',
      );
      return json.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
    });
    const widget = { apiVersion: 'smoke.fluxdeck.dev/v1', kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } };
    const created = await eventually('widget created', async () => {
      const r = await api('POST', '/apis/smoke.fluxdeck.dev/v1/namespaces/default/widgets', widget);
      return r.status === 201 ? r : undefined;
    });
    expect(created.status).toBe(201);
    const { json } = await api<{ spec: { size: number } }>(
      'GET',
      '/apis/smoke.fluxdeck.dev/v1/namespaces/default/widgets/w1',
    );
    expect(json.spec.size).toBe(3);
  });

  it('drives a Deployment with 2 replicas to Available through the scheduler and KWOK', async () => {
    const deploy = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'smoke-web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'smoke-web' } },
        template: {
          metadata: { labels: { app: 'smoke-web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
        },
      },
    };
    expect((await api('POST', '/apis/apps/v1/namespaces/default/deployments', deploy)).status).toBe(201);
    const status = await eventually('Deployment Available', async () => {
      const { json } = await api<{
        status?: { availableReplicas?: number; conditions?: { type: string; status: string }[] };
      }>('GET', '/apis/apps/v1/namespaces/default/deployments/smoke-web');
      return json.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') &&
        json.status.availableReplicas === 2
        ? json.status
        : undefined;
    });
    expect(status.availableReplicas).toBe(2);
    const pods = await api<{ items: { spec: { nodeName?: string }; status: { phase: string } }[] }>(
      'GET',
      '/api/v1/namespaces/default/pods?labelSelector=app%3Dsmoke-web',
    );
    expect(pods.json.items).toHaveLength(2);
    for (const p of pods.json.items) {
      expect(p.spec.nodeName).toMatch(/^kwok-node-/);
      expect(p.status.phase).toBe('Running');
    }
  });

  it('completes a Job, and runs StatefulSet and DaemonSet pods', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'smoke-job' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'j', image: 'busybox' }] } } },
    };
    const sts = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'smoke-db' },
      spec: {
        replicas: 2,
        serviceName: 'smoke-db',
        selector: { matchLabels: { app: 'smoke-db' } },
        template: {
          metadata: { labels: { app: 'smoke-db' } },
          spec: { containers: [{ name: 'db', image: 'postgres' }] },
        },
      },
    };
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'smoke-agent' },
      spec: {
        selector: { matchLabels: { app: 'smoke-agent' } },
        template: {
          metadata: { labels: { app: 'smoke-agent' } },
          spec: { containers: [{ name: 'a', image: 'agent' }] },
        },
      },
    };
    expect((await api('POST', '/apis/batch/v1/namespaces/default/jobs', job)).status).toBe(201);
    expect((await api('POST', '/apis/apps/v1/namespaces/default/statefulsets', sts)).status).toBe(201);
    expect((await api('POST', '/apis/apps/v1/namespaces/default/daemonsets', ds)).status).toBe(201);
    await eventually('Job complete', async () => {
      const { json } = await api<{ status?: { succeeded?: number } }>(
        'GET',
        '/apis/batch/v1/namespaces/default/jobs/smoke-job',
      );
      return json.status?.succeeded === 1 ? true : undefined;
    });
    await eventually('StatefulSet ready', async () => {
      const { json } = await api<{ status?: { readyReplicas?: number } }>(
        'GET',
        '/apis/apps/v1/namespaces/default/statefulsets/smoke-db',
      );
      return json.status?.readyReplicas === 2 ? true : undefined;
    });
    await eventually('DaemonSet ready on every node', async () => {
      const { json } = await api<{ status?: { numberReady?: number; desiredNumberScheduled?: number } }>(
        'GET',
        '/apis/apps/v1/namespaces/default/daemonsets/smoke-agent',
      );
      return json.status?.desiredNumberScheduled === 2 && json.status.numberReady === 2 ? true : undefined;
    });
  });

  it('finishes deleting a namespace with objects in it', async () => {
    expect(
      (
        await api('POST', '/api/v1/namespaces', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'smoke-gone' },
        })
      ).status,
    ).toBe(201);
    await api('POST', '/api/v1/namespaces/smoke-gone/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { a: '1' },
    });
    expect((await api('DELETE', '/api/v1/namespaces/smoke-gone')).status).toBe(200);
    await eventually('namespace gone', async () =>
      (await api('GET', '/api/v1/namespaces/smoke-gone')).status === 404 ? true : undefined,
    );
  });

  it('runs a second cluster at the same time, and leaves no process behind when stopped', async () => {
    const second = await startCluster({
      name: 'second',
      dir: join(tmpdir(), `fluxdeck-second-${process.pid}`),
      tier: 'api',
      ownerPid: process.pid,
    });
    try {
      const [a, b] = await Promise.all([
        api<{ gitVersion: string }>('GET', '/version'),
        api<{ gitVersion: string }>('GET', '/version', undefined, second),
      ]);
      expect(a.json.gitVersion).toBe(KUBERNETES_VERSION);
      expect(b.json.gitVersion).toBe(KUBERNETES_VERSION);
      expect(second.server).not.toBe(cluster.server);
      // The clusters are separate: an object in one is not in the other.
      await api(
        'POST',
        '/api/v1/namespaces',
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'only-in-second' } },
        second,
      );
      expect((await api('GET', '/api/v1/namespaces/only-in-second')).status).toBe(404);
    } finally {
      await second.stop();
      await rm(second.dir, { recursive: true, force: true });
    }
    for (const pid of Object.values(second.pids)) expect(isOurProcess(pid, second.binDir)).toBe(false);
  });

  it('names the component and its log when one fails to start, and tears down what had started', async () => {
    const dir = join(tmpdir(), `fluxdeck-broken-${process.pid}`);
    const attempt = startCluster({
      name: 'broken',
      dir,
      tier: 'api',
      ownerPid: process.pid,
      apiServerArgs: ['--no-such-flag'],
    });
    await expect(attempt).rejects.toThrow(
      /kube-apiserver: exited with code \d+ before it was healthy \(log: .*kube-apiserver\.log\)/,
    );
    const state = await loadState(dir);
    expect(state?.pids.etcd).toBeGreaterThan(0);
    expect(isOurProcess(state!.pids.etcd!, state!.binDir)).toBe(false);
    await rm(dir, { recursive: true, force: true });
  });

  it('stops a component that is still starting when its owner dies', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fluxdeck-orphan-'));
    const pidFile = join(dir, 'pids');
    const owner = spawn('sleep', ['600'], { stdio: 'ignore' });
    startWatchdog(owner.pid!, pidFile);
    // A component that never becomes healthy, as a kube-apiserver still starting: listed before any health check.
    const starting = startComponent('starting', 'sleep', ['601'], join(dir, 'starting.log'), pidFile);
    try {
      expect((await readFile(pidFile, 'utf8')).trim()).toBe(String(starting.child.pid));
      owner.kill();
      expect(await starting.exited).toBeNull();
    } finally {
      owner.kill();
      starting.child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
