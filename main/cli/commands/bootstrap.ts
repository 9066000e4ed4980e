import { setTimeout as sleep } from 'node:timers/promises';

import {
  bootstrapFiles,
  keepExistingKustomization,
  type SyncOptions,
  syncPath,
} from '../../controllers/crds/bootstrap-manifests.ts';
import { installFluxCrds } from '../../controllers/crds/install-flux-crds.ts';
import { createFluxdeck, type Fluxdeck } from '../../create-fluxdeck.ts';
import { getCondition } from '../../flux/conditions.ts';
import { fluxKinds } from '../../flux/kinds.ts';
import type { FluxStatus } from '../../flux/meta.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import { parseYamlStream } from '../../kustomize/index.ts';
import type { HttpAuth } from '../../sources/git/git-auth.ts';
import { parseGitUrl } from '../../sources/git/git-url.ts';
import { userGitIdentity } from '../../sources/workspace/index.ts';
import type { Workspace } from '../../sources/workspace/workspace.ts';
import { errorMessage } from '../../util/errors.ts';
import type { KubeObject } from '../../util/kube-object.ts';
import { createLogger } from '../../util/logger.ts';
import { kubeconfigFlagPaths, openFromFlags, parseCommand } from '../cluster-flags.ts';
import { type CliIO, type Command, UsageError } from '../command.ts';

/**
 * `fluxdeck bootstrap git`, desktop-reconciled: the cluster's `flux-system` directory (the sync GitRepository and
 * Kustomization, as `flux bootstrap` writes them) is committed and pushed to the repository (never forced; a
 * bootstrap already there is updated, or left alone when it is the same), the Secret the source needs is created,
 * the manifests are applied, and Fluxdeck reconciles until the Kustomization is Ready. Every step is printed.
 */

const FIELD_MANAGER = 'fluxdeck';
const AUTHOR_FALLBACK = { name: 'Fluxdeck', email: 'fluxdeck@localhost' };

class BootstrapFailed extends Error {}

interface Plan {
  url: string;
  branch: string;
  path: string;
  namespace: string;
  interval: string;
  auth?: { username: string; password: string };
}

function planFrom(values: Record<string, unknown>, namespace: string | undefined): Plan {
  const url = values.url as string | undefined;
  const path = values.path as string | undefined;
  if (!url) throw new UsageError('--url is required: the repository to bootstrap, e.g. https://host/org/fleet.git');
  if (!path) throw new UsageError('--path is required: the cluster’s directory, e.g. clusters/my-cluster');
  const parsed = parseGitUrl(url);
  if (parsed.protocol === 'ssh')
    throw new UsageError('--url: bootstrap over SSH is not supported yet; use an https:// URL with --username');
  syncPath(path);
  const username = values.username as string | undefined;
  const password = (values.password as string | undefined) ?? process.env.GIT_PASSWORD;
  if ((username === undefined) !== (password === undefined))
    throw new UsageError('--username and --password (or $GIT_PASSWORD) go together');
  return {
    url,
    branch: (values.branch as string | undefined) ?? 'main',
    path,
    namespace: namespace ?? 'flux-system',
    interval: (values.interval as string | undefined) ?? '1m0s',
    ...(username !== undefined && password !== undefined ? { auth: { username, password } } : {}),
  };
}

function syncOptions(plan: Plan): SyncOptions {
  const { url, branch, path, namespace, interval } = plan;
  return { url, branch, path, namespace, interval, ...(plan.auth ? { secretName: 'flux-system' } : {}) };
}

function httpAuth(plan: Plan): HttpAuth | undefined {
  if (!plan.auth) return undefined;
  const basic = Buffer.from(`${plan.auth.username}:${plan.auth.password}`).toString('base64');
  return { kind: 'http', authorization: `Basic ${basic}` };
}

/** Writes the flux-system directory, commits and pushes; returns the commit the server has. */
async function pushManifests(ws: Workspace, plan: Plan, io: CliIO): Promise<void> {
  const updated = await ws.update();
  if (updated.status === 'local-changes') {
    // A previous run committed but could not push: put that commit on the server's head first.
    const re = await ws.fetchAndReapply();
    if (re.status === 'conflict')
      throw new BootstrapFailed(`cannot update the earlier bootstrap commit: ${re.message}`);
  }
  const files = bootstrapFiles(syncOptions(plan));
  for (const [path, content] of Object.entries(files)) {
    const existing = await ws.readFile(path).catch(() => undefined);
    if (existing === content || (path.endsWith('/kustomization.yaml') && keepExistingKustomization(existing))) continue;
    await ws.writeFile(path, content);
  }
  const author = (await userGitIdentity()) ?? AUTHOR_FALLBACK;
  const committed = await ws.commit({ message: 'Add Flux sync manifests', author });
  if (committed.status === 'invalid')
    throw new BootstrapFailed(
      `the sync manifests are not valid YAML: ${committed.problems.map((p) => p.message).join('; ')}`,
    );
  io.out(
    committed.status === 'committed'
      ? `✔ committed sync manifests to ${plan.branch} (${committed.commit.slice(0, 12)})\n`
      : `✔ sync manifests are up to date in ${plan.branch}\n`,
  );
  let pushed = await ws.push();
  if (pushed.status === 'remote-moved') {
    const re = await ws.fetchAndReapply();
    if (re.status === 'conflict') throw new BootstrapFailed(re.message);
    pushed = await ws.push();
  }
  if (pushed.status === 'rejected' || pushed.status === 'remote-moved')
    throw new BootstrapFailed(`the server refused the push (never forced): ${pushed.message}`);
  io.out(pushed.status === 'pushed' ? `✔ pushed to ${plan.branch}\n` : `✔ ${plan.branch} already has it\n`);
}

/** CRDs, namespace, the source's Secret and the sync manifests, with server-side apply. */
async function applyToCluster(client: ClusterClient, plan: Plan, manifests: string, io: CliIO): Promise<void> {
  const crds = await installFluxCrds(client);
  const failed = crds.filter((r) => r.action === 'failed');
  if (failed.length > 0)
    throw new BootstrapFailed(`CRDs could not be installed: ${failed.map((f) => f.name).join(', ')}`);
  client.mapper.invalidate();
  io.out('✔ Flux CRDs ready\n');
  const apply = (o: KubeObject): Promise<KubeObject> => client.apply(o, { fieldManager: FIELD_MANAGER, force: true });
  await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: plan.namespace } });
  if (plan.auth) {
    await apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'flux-system', namespace: plan.namespace },
      type: 'Opaque',
      data: {
        username: Buffer.from(plan.auth.username).toString('base64'),
        password: Buffer.from(plan.auth.password).toString('base64'),
      },
    });
    io.out(`✔ secret ${plan.namespace}/flux-system applied (username and password)\n`);
  }
  for (const o of parseYamlStream(manifests, 'gotk-sync.yaml') as KubeObject[]) await apply(o);
  io.out(`✔ GitRepository and Kustomization ${plan.namespace}/flux-system applied\n`);
}

/** Waits for both flux-system objects to be Ready, printing each new message; fails on the timeout. */
async function waitReady(client: ClusterClient, plan: Plan, timeoutMs: number, io: CliIO): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const last = new Map<string, string>();
  for (;;) {
    let ready = 0;
    for (const kind of [fluxKinds.GitRepository, fluxKinds.Kustomization]) {
      const obj = await client.tryGet({ ...kind, namespace: plan.namespace, name: 'flux-system' });
      const c = getCondition((obj?.status as FluxStatus | undefined)?.conditions, 'Ready');
      const line = c
        ? `${c.status === 'True' ? '✔' : '◎'} ${kind.kind} ${plan.namespace}/flux-system: ${c.message}`
        : '';
      if (line && last.get(kind.kind) !== line) io.out(`${line}\n`);
      last.set(kind.kind, line);
      if (
        c?.status === 'True' &&
        obj?.metadata.generation === (obj?.status as FluxStatus | undefined)?.observedGeneration
      )
        ready++;
    }
    if (ready === 2) return;
    if (Date.now() > deadline)
      throw new BootstrapFailed(
        `flux-system was not Ready within ${Math.round(timeoutMs / 1000)}s: ${[...last.values()].join('; ')}`,
      );
    await sleep(500);
  }
}

export const bootstrapCommand: Command = {
  name: 'bootstrap',
  summary: 'Put a cluster under GitOps from a Git repository (desktop-reconciled): write flux-system, push, apply',
  usage:
    'fluxdeck bootstrap git --url URL [--branch main] --path clusters/NAME [--username U --password P] [--interval 1m0s] [--namespace flux-system] [--data-dir D] [--identity I] [--kubeconfig F] [--context C] [--timeout 5m]',
  run: async (args, io) => {
    const [provider, ...rest] = args;
    if (provider !== 'git')
      throw new UsageError(`unknown bootstrap provider '${provider ?? ''}': use fluxdeck bootstrap git`);
    const { flags, values, positionals } = parseCommand(rest, {
      url: { type: 'string' },
      branch: { type: 'string' },
      path: { type: 'string' },
      username: { type: 'string', short: 'u' },
      password: { type: 'string', short: 'p' },
      interval: { type: 'string' },
      'data-dir': { type: 'string' },
      identity: { type: 'string' },
      'lease-namespace': { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}'`);
    const plan = planFrom(values, flags.namespace);
    let fluxdeck: Fluxdeck | undefined;
    let client: ClusterClient | undefined;
    try {
      fluxdeck = await createFluxdeck({
        ...(flags.kubeconfig ? { kubeconfigPaths: kubeconfigFlagPaths(flags) } : {}),
        ...(typeof values['data-dir'] === 'string' ? { dataDir: values['data-dir'] } : {}),
        ...(typeof values.identity === 'string' ? { identity: values.identity } : {}),
        ...(typeof values['lease-namespace'] === 'string' ? { leaseNamespace: values['lease-namespace'] } : {}),
        watchKubeconfigs: false,
        logger: createLogger({ write: () => undefined }, 'error'),
      });
      io.out(`► cloning ${plan.branch} of ${plan.url}\n`);
      const auth = httpAuth(plan);
      const ws = await fluxdeck.workspaces
        .open({ url: plan.url, branch: plan.branch }, auth ? { auth } : {})
        .catch((err: unknown) => {
          throw new BootstrapFailed(`cannot clone ${plan.url}: ${errorMessage(err)}`, { cause: err });
        });
      await pushManifests(ws, plan, io);
      client = await openFromFlags(flags);
      const sync = bootstrapFiles(syncOptions(plan));
      const manifests = Object.entries(sync).find(([p]) => p.endsWith('gotk-sync.yaml'))?.[1] ?? '';
      await applyToCluster(client, plan, manifests, io);
      io.out(`► reconciling ${plan.namespace}/flux-system (desktop-reconciled: Fluxdeck runs the controllers)\n`);
      await fluxdeck.connect(client.context);
      await waitReady(client, plan, flags.timeoutMs, io);
      io.out(`✔ bootstrap finished in context ${client.context}\n`);
      return 0;
    } catch (err) {
      if (err instanceof UsageError) throw err;
      io.err(`✗ ${errorMessage(err)}\n`);
      return 1;
    } finally {
      client?.close();
      await fluxdeck?.stop();
    }
  },
};
