/**
 * Flux's own source-controller and kustomize-controller, built from the Go module proxy by test/tools/build.sh (cached
 * per machine), run out of cluster against a test control plane: the reference the hand-off tests and `bench flux`
 * measure Fluxdeck against.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { ensureTool } from '../tools/tools.ts';
import { freePort, waitFor } from './ports.ts';

export type FluxController = 'source-controller' | 'kustomize-controller';

export interface LeaderElection {
  /** Flux's defaults are 35 s / 30 s / 5 s; tests shorten them so a killed controller's Lease runs out quickly. */
  leaseSeconds: number;
  renewSeconds: number;
  retrySeconds: number;
}

export interface FluxControllersOptions {
  kubeconfig: string;
  /** Where source-controller keeps its artifacts. */
  workDir: string;
  /** The namespace the controllers think they run in (their Leases live there). */
  namespace: string;
  /** Which to start (default both). */
  controllers?: readonly FluxController[];
  /** On: each controller campaigns for its `<name>-leader-election` Lease, as in a cluster. Off by default. */
  leaderElection?: LeaderElection;
  /** Where source-controller serves artifacts (default a free loopback port). */
  storagePort?: number;
  /** The tail of the controllers' stderr is kept here for failure messages. */
  log?: string[];
}

export interface RunningFluxController {
  name: FluxController;
  pid: number;
  metricsAddr: string;
  /** SIGTERM, as a rollout does: Flux releases its Lease on the way out. */
  stop(): Promise<void>;
  /** SIGKILL, as a crashed pod: the Lease stays until it runs out. */
  kill(): Promise<void>;
}

export interface FluxControllers {
  running: RunningFluxController[];
  /** The address source-controller advertises in `status.artifact.url` (`http://127.0.0.1:PORT`). */
  storageUrl: string;
  /** The sum of the controllers' `rest_client_requests_total` series. */
  requests(): Promise<number>;
  stop(): Promise<void>;
}

/** Builds (once per machine) and returns the binaries: call before a clock starts. */
export async function fluxControllerBinaries(
  names: readonly FluxController[] = ['source-controller', 'kustomize-controller'],
): Promise<Record<FluxController, string>> {
  const paths = await Promise.all(names.map((n) => ensureTool(n)));
  return Object.fromEntries(names.map((n, i) => [n, paths[i]])) as Record<FluxController, string>;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Signals a child process and waits for it to exit (SIGKILL after 10 s). */
export async function stopProcess(child: ChildProcess, sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill(sig);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

/** The sum of a controller-runtime process's `rest_client_requests_total` series. */
export async function scrapeRequests(metricsAddr: string): Promise<number> {
  const text = await (await fetch(`http://${metricsAddr}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n'))
    if (line.startsWith('rest_client_requests_total{')) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

/**
 * The command line that runs `bin`. With leader election, controller-runtime needs the namespace file a pod has
 * (`/var/run/secrets/kubernetes.io/serviceaccount/namespace`) and refuses to start without it; the controller gets one in
 * a private mount namespace (`unshare`; the namespace comes from $FLUX_NAMESPACE), so nothing outside the process sees it.
 */
function commandLine(bin: string, args: string[], elect: boolean): [string, string[]] {
  if (!elect) return [bin, args];
  const script = [
    'mount -t tmpfs fluxdeck-test /run',
    'mkdir -p /run/secrets/kubernetes.io/serviceaccount',
    'printf %s "$FLUX_NAMESPACE" > /run/secrets/kubernetes.io/serviceaccount/namespace',
    'exec "$@"',
  ].join(' && ');
  // `--map-root-user` lets a non-root user mount in its own namespaces; as root it is harmless.
  return ['unshare', ['--mount', '--map-root-user', 'sh', '-c', script, 'sh', bin, ...args]];
}

export async function startFluxControllers(o: FluxControllersOptions): Promise<FluxControllers> {
  const names = o.controllers ?? ['source-controller', 'kustomize-controller'];
  const bins = await fluxControllerBinaries(names);
  const log = o.log ?? [];
  const storagePort = o.storagePort ?? (await freePort());
  const storagePath = join(o.workDir, 'flux-storage');
  await mkdir(storagePath, { recursive: true });
  const le = o.leaderElection;
  const common = [
    '--log-level=error',
    `--enable-leader-election=${le ? 'true' : 'false'}`,
    ...(le
      ? [
          `--leader-election-lease-duration=${le.leaseSeconds}s`,
          `--leader-election-renew-deadline=${le.renewSeconds}s`,
          `--leader-election-retry-period=${le.retrySeconds}s`,
        ]
      : []),
  ];
  const running: RunningFluxController[] = [];
  for (const name of names) {
    const [metrics, health] = await Promise.all([freePort(), freePort()]);
    const args = [
      ...common,
      `--metrics-addr=127.0.0.1:${metrics}`,
      `--health-addr=127.0.0.1:${health}`,
      ...(name === 'source-controller'
        ? [
            `--storage-path=${storagePath}`,
            `--storage-addr=127.0.0.1:${storagePort}`,
            `--storage-adv-addr=127.0.0.1:${storagePort}`,
          ]
        : []),
    ];
    const [cmd, argv] = commandLine(bins[name], args, le !== undefined);
    const child = spawn(cmd, argv, {
      env: { ...process.env, KUBECONFIG: o.kubeconfig, RUNTIME_NAMESPACE: o.namespace, FLUX_NAMESPACE: o.namespace },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      log.push(`${name}: ${d}`);
      if (log.length > 200) log.shift();
    });
    running.push({
      name,
      pid: child.pid ?? 0,
      metricsAddr: `127.0.0.1:${metrics}`,
      stop: () => stopProcess(child),
      kill: () => stopProcess(child, 'SIGKILL'),
    });
  }
  const all = {
    running,
    storageUrl: `http://127.0.0.1:${storagePort}`,
    requests: async () =>
      (await Promise.all(running.map((r) => scrapeRequests(r.metricsAddr)))).reduce((a, b) => a + b, 0),
    stop: async () => {
      await Promise.all(running.map((r) => r.stop()));
    },
  };
  try {
    for (const r of running)
      await waitFor(`${r.name}'s metrics on ${r.metricsAddr}\n${log.join('')}`, () =>
        scrapeRequests(r.metricsAddr).then(() => true),
      );
  } catch (err) {
    await all.stop();
    throw err;
  }
  return all;
}
