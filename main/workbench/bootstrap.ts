import { setTimeout as sleep } from 'node:timers/promises';

import {
  bootstrapFiles,
  keepExistingKustomization,
  type SyncOptions,
  syncPath,
} from '../controllers/crds/bootstrap-manifests.ts';
import { installFluxCrds } from '../controllers/crds/install-flux-crds.ts';
import { getCondition } from '../flux/conditions.ts';
import { fluxKinds } from '../flux/kinds.ts';
import type { FluxStatus } from '../flux/meta.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import { parseYamlStream } from '../kustomize/index.ts';
import type { GitAuth } from '../sources/git/git-auth.ts';
import { parseGitUrl, scpToSshUrl } from '../sources/git/git-url.ts';
import { userGitIdentity } from '../sources/workspace/index.ts';
import type { Workspace } from '../sources/workspace/workspace.ts';
import { errorMessage } from '../util/errors.ts';
import type { KubeObject } from '../util/kube-object.ts';
import { BootstrapFailed, BootstrapInputError } from './bootstrap-errors.ts';
import {
  awaitDeployKey,
  deployKeyData,
  type DeployKeyStep,
  prepareSsh,
  type SshPlan,
  sshPlanFrom,
  type SshPlanInput,
  type SshSession,
  userKeyRefused,
} from './bootstrap-ssh.ts';

export { BootstrapFailed, BootstrapInputError } from './bootstrap-errors.ts';

/**
 * Bootstrap, as `flux bootstrap git` does it, desktop-reconciled: the cluster's `flux-system` directory (the sync
 * GitRepository and Kustomization) is committed and pushed to the repository (never forced; a bootstrap already there
 * is updated, or left alone when it is the same), the Secret the source needs is created, the manifests are applied,
 * and the caller's engine reconciles until both flux-system objects are Ready. Every step is reported, so the CLI can
 * print it and the desktop wizard can show it.
 */

const FIELD_MANAGER = 'fluxdeck';
const AUTHOR_FALLBACK = { name: 'Fluxdeck', email: 'fluxdeck@localhost' };

export interface BootstrapPlan {
  url: string;
  branch: string;
  /** The cluster's directory in the repository, e.g. `clusters/prod`. */
  path: string;
  namespace: string;
  /** The GitRepository's interval, a Go duration (`1m0s`). */
  interval: string;
  /** HTTP basic credentials, used for the push and stored in the source's Secret; never printed. */
  auth?: { username: string; password: string };
  /** For an ssh:// URL: the user's key for the push and the deploy key's options (see bootstrap-ssh.ts). */
  ssh?: SshPlan;
  /** What the plan changed in the input, said before the first step (e.g. an scp-like URL rewritten). */
  notes?: string[];
}

/** Defaults and checks for a plan from the CLI's flags or the wizard's form. */
export function bootstrapPlan(
  input: {
    url?: string;
    branch?: string;
    path?: string;
    namespace?: string;
    interval?: string;
    username?: string;
    password?: string;
  } & SshPlanInput,
): BootstrapPlan {
  const { path, username, password } = input;
  if (!input.url) throw new BootstrapInputError('the repository URL is required, e.g. https://host/org/fleet.git');
  // Flux refuses scp-like URLs (git@host:org/repo.git); its ssh:// form is what everyone means by it, so use that.
  const scp = scpToSshUrl(input.url);
  const url = scp ?? input.url;
  const notes = scp ? [`using ${scp} for the scp-like URL ${input.url} (a GitRepository needs ssh://)`] : [];
  if (!path)
    throw new BootstrapInputError('the cluster’s directory in the repository is required, e.g. clusters/my-cluster');
  let parsed: ReturnType<typeof parseGitUrl>;
  try {
    parsed = parseGitUrl(url);
  } catch (err) {
    throw new BootstrapInputError(`${url}: ${errorMessage(err)}`, { cause: err });
  }
  const ssh = parsed.protocol === 'ssh' ? sshPlanFrom(input) : undefined;
  if (!ssh && input.privateKey !== undefined)
    throw new BootstrapInputError(`a private key is for ssh:// URLs; ${url} is ${parsed.protocol}://`);
  try {
    syncPath(path);
  } catch (err) {
    throw new BootstrapInputError(errorMessage(err), { cause: err });
  }
  if (!ssh && (username === undefined) !== (password === undefined))
    throw new BootstrapInputError('a username and a password go together');
  return {
    url,
    branch: input.branch || 'main',
    path,
    namespace: input.namespace || 'flux-system',
    interval: input.interval || '1m0s',
    ...(!ssh && username !== undefined && password !== undefined ? { auth: { username, password } } : {}),
    ...(ssh ? { ssh } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/** One line of progress: `running` starts a long step, `done` ends one, `waiting` reports a status while waiting. */
export interface BootstrapStep extends DeployKeyStep {
  state: 'running' | 'done' | 'waiting';
  message: string;
}

export interface BootstrapDeps {
  /**
   * Opens (clones or updates) the writable work tree of the repository's branch; `startBranch`: a branch the server
   * does not have yet (an empty repository) is started, and the first commit creates it, as `flux bootstrap` does.
   */
  openWorkspace(
    spec: { url: string; branch: string; startBranch?: boolean },
    auth: GitAuth | undefined,
  ): Promise<Workspace>;
  /** The cluster to bootstrap. */
  client: ClusterClient;
  /** Starts (or confirms) the engine reconciling the cluster, once the manifests are applied. */
  reconcile(): Promise<void>;
}

export interface BootstrapOptions {
  onStep(step: BootstrapStep): void;
  timeoutMs: number;
  signal?: AbortSignal;
}

function syncOptions(plan: BootstrapPlan): SyncOptions {
  const { url, branch, path, namespace, interval } = plan;
  return { url, branch, path, namespace, interval, ...(plan.auth || plan.ssh ? { secretName: 'flux-system' } : {}) };
}

function gitAuth(plan: BootstrapPlan): GitAuth | undefined {
  if (!plan.auth) return undefined;
  const basic = Buffer.from(`${plan.auth.username}:${plan.auth.password}`).toString('base64');
  return { kind: 'http', authorization: `Basic ${basic}` };
}

/** Writes the flux-system directory, commits and pushes (never forced). */
async function pushManifests(ws: Workspace, plan: BootstrapPlan, o: BootstrapOptions): Promise<void> {
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
  o.onStep({
    state: 'done',
    message:
      committed.status === 'committed'
        ? `committed sync manifests to ${plan.branch} (${committed.commit.slice(0, 12)})`
        : `sync manifests are up to date in ${plan.branch}`,
  });
  let pushed = await ws.push();
  if (pushed.status === 'remote-moved') {
    const re = await ws.fetchAndReapply();
    if (re.status === 'conflict') throw new BootstrapFailed(re.message);
    pushed = await ws.push();
  }
  if (pushed.status === 'rejected' || pushed.status === 'remote-moved')
    throw new BootstrapFailed(`the server refused the push (never forced): ${pushed.message}`);
  o.onStep({
    state: 'done',
    message: pushed.status === 'pushed' ? `pushed to ${plan.branch}` : `${plan.branch} already has it`,
  });
}

/** CRDs, namespace, the source's Secret and the sync manifests, with server-side apply. */
async function applyToCluster(
  client: ClusterClient,
  plan: BootstrapPlan,
  o: BootstrapOptions,
  ssh?: SshSession,
): Promise<void> {
  const crds = await installFluxCrds(client);
  const failed = crds.filter((r) => r.action === 'failed');
  if (failed.length > 0)
    throw new BootstrapFailed(`CRDs could not be installed: ${failed.map((f) => f.name).join(', ')}`);
  client.mapper.invalidate();
  o.onStep({ state: 'done', message: 'Flux CRDs ready' });
  const apply = (obj: KubeObject): Promise<KubeObject> =>
    client.apply(obj, { fieldManager: FIELD_MANAGER, force: true });
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
    o.onStep({ state: 'done', message: `secret ${plan.namespace}/flux-system applied (username and password)` });
  }
  if (ssh && plan.ssh) {
    const deploy = deployKeyData(ssh, plan.ssh);
    await apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'flux-system', namespace: plan.namespace },
      type: 'Opaque',
      data: Object.fromEntries(Object.entries(deploy.data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    });
    // The sync objects wait for the key: applied earlier, their source would fail until the user added it.
    await awaitDeployKey(ssh, deploy, { ...plan, ssh: plan.ssh }, o);
  }
  const sync = Object.entries(bootstrapFiles(syncOptions(plan))).find(([p]) => p.endsWith('gotk-sync.yaml'))?.[1];
  for (const obj of parseYamlStream(sync ?? '', 'gotk-sync.yaml') as KubeObject[]) await apply(obj);
  o.onStep({ state: 'done', message: `GitRepository and Kustomization ${plan.namespace}/flux-system applied` });
}

/** Waits for both flux-system objects to be Ready at their generation, reporting each new message. */
async function waitReady(client: ClusterClient, plan: BootstrapPlan, o: BootstrapOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  const last = new Map<string, string>();
  for (;;) {
    let ready = 0;
    for (const kind of [fluxKinds.GitRepository, fluxKinds.Kustomization]) {
      const obj = await client.tryGet({ ...kind, namespace: plan.namespace, name: 'flux-system' });
      const status = obj?.status as FluxStatus | undefined;
      const c = getCondition(status?.conditions, 'Ready');
      const line = c ? `${kind.kind} ${plan.namespace}/flux-system: ${c.message}` : '';
      if (line && last.get(kind.kind) !== line)
        o.onStep({ state: c?.status === 'True' ? 'done' : 'waiting', message: line });
      last.set(kind.kind, line);
      if (c?.status === 'True' && obj?.metadata.generation === status?.observedGeneration) ready++;
    }
    if (ready === 2) return;
    if (Date.now() > deadline)
      throw new BootstrapFailed(
        `flux-system was not Ready within ${Math.round(o.timeoutMs / 1000)}s: ${[...last.values()].join('; ')}`,
      );
    await sleep(500, undefined, o.signal ? { signal: o.signal } : {});
  }
}

/** Runs a bootstrap; resolves when flux-system is Ready, rejects with a BootstrapFailed naming the step. */
export async function runBootstrap(deps: BootstrapDeps, plan: BootstrapPlan, o: BootstrapOptions): Promise<void> {
  for (const note of plan.notes ?? []) o.onStep({ state: 'done', message: note });
  const ssh = plan.ssh
    ? await prepareSsh(deps.client, { ...plan, ssh: plan.ssh }, (message) => o.onStep({ state: 'done', message }))
    : undefined;
  o.onStep({ state: 'running', message: `cloning ${plan.branch} of ${plan.url}` });
  const auth = ssh ? ssh.pushAuth : gitAuth(plan);
  const ws = await deps
    .openWorkspace({ url: plan.url, branch: plan.branch, startBranch: true }, auth)
    .catch((err: unknown) => {
      const refused = ssh && (err as { code?: string }).code === 'auth';
      throw new BootstrapFailed(`cannot clone ${plan.url}: ${refused ? userKeyRefused(ssh, err) : errorMessage(err)}`, {
        cause: err,
      });
    });
  await pushManifests(ws, plan, o);
  await applyToCluster(deps.client, plan, o, ssh);
  o.onStep({
    state: 'running',
    message: `reconciling ${plan.namespace}/flux-system (desktop-reconciled: Fluxdeck runs the controllers)`,
  });
  await deps.reconcile();
  await waitReady(deps.client, plan, o);
  o.onStep({ state: 'done', message: `bootstrap finished in context ${deps.client.context}` });
}
