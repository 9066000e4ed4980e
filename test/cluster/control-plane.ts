import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';

import { stringify } from 'yaml';

import { ensureBinaries } from './binaries.ts';
import { generatePki, type Pki } from './pki.ts';
import {
  type Component,
  freePorts,
  isOurProcess,
  startComponent,
  startWatchdog,
  stopPids,
  waitUntilHealthy,
} from './processes.ts';

export const KUBERNETES_VERSION = 'v1.36.3';

export interface ClusterOptions {
  name: string;
  /** Directory for data, certificates, logs and the kubeconfig. */
  dir: string;
  /**
   * `full` (default) adds kube-controller-manager, kube-scheduler and KWOK so workloads become Available;
   * `api` is etcd + kube-apiserver only, for tests that need no controllers.
   */
  tier?: 'full' | 'api';
  /** Number of KWOK nodes. */
  nodes?: number;
  /** Kill the control plane when this pid dies (the test runner); omit for `cluster up`, which outlives its CLI. */
  ownerPid?: number;
  /** Extra flags for kube-apiserver (feature gates, or a bad flag in the start-up failure test). */
  apiServerArgs?: string[];
}

/** What a running cluster persists in `<dir>/state.json`, so `cluster down` and later runs can find it. */
export interface ClusterState {
  name: string;
  dir: string;
  kubeconfig: string;
  server: string;
  /** A bearer token for the admin identity (tests use it for token auth). */
  token: string;
  caCert: string;
  binDir: string;
  pids: Record<string, number>;
  ports: Record<string, number>;
}

export interface RunningCluster extends ClusterState {
  stop(): Promise<void>;
  /** Stops and restarts kube-apiserver on the same port (etcd keeps the data), for watch-resume tests. */
  restartApiServer(): Promise<void>;
  /** Stops kube-apiserver only (an outage); `startApiServer` brings it back on the same port. */
  stopApiServer(): Promise<void>;
  startApiServer(): Promise<void>;
}

const ADMIN_TOKEN_USER = 'admin-token';

/** Starts a real control plane. On any failure, whatever already started is stopped before the error is thrown. */
export async function startCluster(opts: ClusterOptions): Promise<RunningCluster> {
  const binDir = await ensureBinaries();
  await stopLeftovers(opts.dir);
  await rm(opts.dir, { recursive: true, force: true });
  await mkdir(join(opts.dir, 'logs'), { recursive: true });
  const pki = await generatePki(join(opts.dir, 'pki'));
  const [etcdPort, etcdPeer, apiPort, kcmPort, schedPort, kwokPort] = await freePorts(6);
  const ports = {
    etcd: etcdPort!,
    etcdPeer: etcdPeer!,
    apiserver: apiPort!,
    kcm: kcmPort!,
    scheduler: schedPort!,
    kwok: kwokPort!,
  };
  const token = `fluxdeck-${randomHex(16)}`;
  await writeFile(join(opts.dir, 'tokens.csv'), `${token},${ADMIN_TOKEN_USER},admin-token-uid,"system:masters"\n`, {
    mode: 0o600,
  });
  const state: ClusterState = {
    name: opts.name,
    dir: opts.dir,
    kubeconfig: join(opts.dir, 'kubeconfig'),
    server: `https://127.0.0.1:${ports.apiserver}`,
    token,
    caCert: pki.caCert,
    binDir,
    pids: {},
    ports,
  };
  const components: Component[] = [];
  const pidFile = pidFileOf(opts.dir);
  const record = async (c: Component): Promise<void> => {
    components.push(c);
    if (c.child.pid !== undefined) state.pids[c.name] = c.child.pid;
    await writeFile(pidFile, Object.values(state.pids).join('\n'));
    await saveState(state);
  };
  if (opts.ownerPid !== undefined) startWatchdog(opts.ownerPid, pidFile);
  try {
    await record(await startEtcd(opts.dir, binDir, ports));
    await record(await startApiServer(opts.dir, binDir, pki, ports, state, opts.apiServerArgs));
    await writeKubeconfig(state, pki);
    if ((opts.tier ?? 'full') === 'full') {
      await record(await startControllerManager(opts.dir, binDir, pki, ports, state));
      await record(startScheduler(opts.dir, binDir, ports, state));
      const kwok = startKwok(opts.dir, binDir, ports, state);
      await record(kwok);
      await createNodes(state, opts.nodes ?? 2, kwok);
    }
  } catch (err) {
    // The pid file also names the component that did not become healthy, which may still be running.
    const listed = (await readFile(pidFile, 'utf8').catch(() => '')).split('\n').map(Number);
    await stopPids([...new Set([...Object.values(state.pids), ...listed.filter((p) => p > 0)])], binDir);
    throw err;
  }
  const running: RunningCluster = {
    ...state,
    stop: async () => {
      await stopPids(Object.values(state.pids), binDir);
      await rm(pidFile, { force: true });
    },
    stopApiServer: async () => {
      const old = state.pids['kube-apiserver'];
      if (old !== undefined) await stopPids([old], binDir);
    },
    startApiServer: async () => {
      await record(await startApiServer(opts.dir, binDir, pki, ports, state, opts.apiServerArgs));
      running.pids = state.pids;
    },
    restartApiServer: async () => {
      await running.stopApiServer();
      await running.startApiServer();
    },
  };
  return running;
}

/** Where a cluster's running pids are listed, for the watchdog (`startWatchdog`). */
const pidFileOf = (dir: string): string => join(dir, 'pids');

/** Stops the cluster whose state lives in `dir` (used by `cluster down` and before reusing a directory). */
export async function stopLeftovers(dir: string): Promise<boolean> {
  const state = await loadState(dir);
  if (!state) return false;
  const pids = Object.values(state.pids).filter((p) => isOurProcess(p, state.binDir));
  await stopPids(pids, state.binDir);
  return pids.length > 0;
}

export async function loadState(dir: string): Promise<ClusterState | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

async function saveState(state: ClusterState): Promise<void> {
  await writeFile(join(state.dir, 'state.json'), JSON.stringify(state, null, 2));
}

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

async function startEtcd(dir: string, binDir: string, ports: ClusterState['ports']): Promise<Component> {
  const url = `http://127.0.0.1:${ports.etcd}`;
  const c = startComponent(
    'etcd',
    join(binDir, 'etcd'),
    [
      `--name=default`,
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${url}`,
      `--advertise-client-urls=${url}`,
      `--listen-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${ports.etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${ports.etcdPeer}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ],
    join(dir, 'logs', 'etcd.log'),
    pidFileOf(dir),
  );
  await waitUntilHealthy(
    c,
    async () => {
      const res = await fetch(`${url}/health`);
      return res.ok && ((await res.json()) as { health?: string }).health === 'true';
    },
    30_000,
  );
  return c;
}

async function startApiServer(
  dir: string,
  binDir: string,
  pki: Pki,
  ports: ClusterState['ports'],
  state: ClusterState,
  extraArgs: string[] = [],
): Promise<Component> {
  const c = startComponent(
    'kube-apiserver',
    join(binDir, 'kube-apiserver'),
    [
      `--etcd-servers=http://127.0.0.1:${ports.etcd}`,
      `--secure-port=${ports.apiserver}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--client-ca-file=${pki.caCert}`,
      `--token-auth-file=${join(dir, 'tokens.csv')}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      `--service-account-issuer=https://127.0.0.1:${ports.apiserver}/`,
      `--service-account-key-file=${pki.saPub}`,
      `--service-account-signing-key-file=${pki.saKey}`,
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      // KWOK nodes are created Ready; without the node lifecycle controller nobody would lift this taint.
      '--disable-admission-plugins=TaintNodesByCondition',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      '--v=0',
      ...extraArgs,
    ],
    join(dir, 'logs', 'kube-apiserver.log'),
    pidFileOf(dir),
  );
  await waitUntilHealthy(c, () => httpsOk(state, '/readyz'), 90_000);
  return c;
}

async function startControllerManager(
  dir: string,
  binDir: string,
  pki: Pki,
  ports: ClusterState['ports'],
  state: ClusterState,
): Promise<Component> {
  const c = startComponent(
    'kube-controller-manager',
    join(binDir, 'kube-controller-manager'),
    [
      `--kubeconfig=${state.kubeconfig}`,
      `--authentication-kubeconfig=${state.kubeconfig}`,
      `--authorization-kubeconfig=${state.kubeconfig}`,
      '--leader-elect=false',
      `--secure-port=${ports.kcm}`,
      '--bind-address=127.0.0.1',
      `--service-account-private-key-file=${pki.saKey}`,
      `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`,
      `--cluster-signing-key-file=${pki.caKey}`,
      '--use-service-account-credentials=false',
      '--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller,-persistentvolume-binder,-attachdetach',
      '--concurrent-deployment-syncs=10',
      '--concurrent-replicaset-syncs=10',
      '--kube-api-qps=200',
      '--kube-api-burst=400',
      '--v=0',
    ],
    join(dir, 'logs', 'kube-controller-manager.log'),
    pidFileOf(dir),
  );
  await waitUntilHealthy(c, () => httpsOk(state, '/healthz', ports.kcm), 60_000);
  return c;
}

function startScheduler(dir: string, binDir: string, ports: ClusterState['ports'], state: ClusterState): Component {
  return startComponent(
    'kube-scheduler',
    join(binDir, 'kube-scheduler'),
    [
      `--kubeconfig=${state.kubeconfig}`,
      `--authentication-kubeconfig=${state.kubeconfig}`,
      `--authorization-kubeconfig=${state.kubeconfig}`,
      '--leader-elect=false',
      `--secure-port=${ports.scheduler}`,
      '--bind-address=127.0.0.1',
      '--kube-api-qps=200',
      '--kube-api-burst=400',
      '--v=0',
    ],
    join(dir, 'logs', 'kube-scheduler.log'),
    pidFileOf(dir),
  );
}

function startKwok(dir: string, binDir: string, ports: ClusterState['ports'], state: ClusterState): Component {
  return startComponent(
    'kwok',
    join(binDir, 'kwok'),
    [
      `--kubeconfig=${state.kubeconfig}`,
      `--config=${join(binDir, 'kwok-stages.yaml')}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      `--server-address=127.0.0.1:${ports.kwok}`,
      '--node-ip=10.1.0.1',
      '--cidr=10.244.0.0/16',
    ],
    join(dir, 'logs', 'kwok.log'),
    pidFileOf(dir),
  );
}

async function writeKubeconfig(state: ClusterState, pki: Pki): Promise<void> {
  const b64 = (f: string): string => readFileSync(f).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': state.name,
    clusters: [{ name: state.name, cluster: { server: state.server, 'certificate-authority-data': b64(pki.caCert) } }],
    users: [
      {
        name: `${state.name}-admin`,
        user: { 'client-certificate-data': b64(pki.adminCert), 'client-key-data': b64(pki.adminKey) },
      },
      { name: `${state.name}-token`, user: { token: state.token } },
    ],
    contexts: [
      { name: state.name, context: { cluster: state.name, user: `${state.name}-admin` } },
      { name: `${state.name}-token`, context: { cluster: state.name, user: `${state.name}-token` } },
    ],
  };
  await writeFile(state.kubeconfig, stringify(config), { mode: 0o600 });
}

/** What apiRequest needs to reach a cluster as its admin. */
export type ApiTarget = Pick<ClusterState, 'server' | 'caCert' | 'token'>;

/**
 * Minimal authenticated JSON client for the launcher and smoke tests (the product's own client lives in main/kube).
 * `port` targets another component on 127.0.0.1 (the controller-manager's health endpoint).
 */
export function apiRequest(
  state: ApiTarget,
  method: string,
  path: string,
  body?: unknown,
  port?: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: port ?? new URL(state.server).port,
        path,
        method,
        ca: readFileSync(state.caCert),
        headers: {
          authorization: `Bearer ${state.token}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        timeout: 10_000,
        // The controller-manager's serving certificate is self-signed; only the apiserver's is ours.
        rejectUnauthorized: port === undefined,
      },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

async function httpsOk(state: ApiTarget, path: string, port?: number): Promise<boolean> {
  const res = await apiRequest(state, 'GET', path, undefined, port);
  return res.status === 200;
}

async function createNodes(state: ClusterState, count: number, kwok: Component): Promise<void> {
  for (let i = 0; i < count; i++) {
    const name = `kwok-node-${i}`;
    const res = await apiRequest(state, 'POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          type: 'kwok',
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
        },
      },
      status: {
        allocatable: { cpu: '32', memory: '256Gi', pods: '250' },
        capacity: { cpu: '32', memory: '256Gi', pods: '250' },
      },
    });
    if (res.status !== 201 && res.status !== 409)
      throw new Error(`creating node ${name}: HTTP ${res.status} ${res.body}`);
  }
  await waitUntilHealthy(
    kwok,
    async () => {
      const res = await apiRequest(state, 'GET', '/api/v1/nodes');
      const nodes = (
        JSON.parse(res.body) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] }
      ).items;
      return (
        nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length >=
        count
      );
    },
    60_000,
  );
}
