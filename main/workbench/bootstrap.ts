import { setTimeout as sleep } from 'node:timers/promises';

import { bootstrapFiles, type SyncOptions, syncPath } from '../controllers/crds/bootstrap-manifests.ts';
import {
  type ComponentsInput,
  ComponentsInputError,
  type ComponentsOptions,
  componentsOptions,
} from '../controllers/crds/flux-components.ts';
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
import {
  applyComponents,
  type BootstrapMode,
  COMPONENTS_FILE,
  fluxComponents,
  keepComponentsOnRemoval,
  kustomizationFor,
  namespaceWithChoice,
  waitAvailable,
} from './bootstrap-components.ts';
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
 * Bootstrap, as `flux bootstrap git` does it. Desktop-reconciled (the default): the cluster's `flux-system` directory (the sync
 * GitRepository and Kustomization) is committed and pushed to the repository (never forced; a bootstrap already there
 * is updated, or left alone when it is the same), the Secret the source needs is created, the manifests are applied,
 * and the caller's engine reconciles until both flux-system objects are Ready. Every step is reported, so the CLI can
 * print it and the desktop wizard can show it. In-cluster (`mode: 'in-cluster'`): Flux's controllers are written
 * next to the sync manifests (gotk-components.yaml) and applied too, the bootstrap waits for them to be Available, and
 * Fluxdeck steps back to observe; the choice is recorded on the namespace for every Fluxdeck (bootstrap-components.ts).
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
  /** Who reconciles flux-system afterwards: Fluxdeck (`desktop`, the default) or Flux's own controllers (`in-cluster`). */
  mode?: BootstrapMode;
  /** The controllers to deploy; set in `in-cluster` mode only. */
  components?: ComponentsOptions;
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
    /** `desktop` (default) or `in-cluster`. */
    mode?: string;
    /** The controllers' options (`--version`, `--registry`, ...), in-cluster mode only. */
    components?: ComponentsInput;
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
  const namespace = input.namespace || 'flux-system';
  return {
    url,
    branch: input.branch || 'main',
    path,
    namespace,
    interval: input.interval || '1m0s',
    ...(!ssh && username !== undefined && password !== undefined ? { auth: { username, password } } : {}),
    ...(ssh ? { ssh } : {}),
    ...(notes.length > 0 ? { notes } : {}),
    ...modePart(input, namespace),
  };
}

/** The plan's mode, and the controllers for in-cluster. */
function modePart(
  input: { mode?: string; components?: ComponentsInput },
  namespace: string,
): Pick<BootstrapPlan, 'mode' | 'components'> {
  const mode = planMode(input.mode, input.components);
  return mode === 'in-cluster' ? { mode, components: planComponents(input.components, namespace) } : { mode };
}

function planMode(mode: string | undefined, components: ComponentsInput | undefined): BootstrapMode {
  if (mode !== undefined && mode !== 'desktop' && mode !== 'in-cluster')
    throw new BootstrapInputError(
      `--mode ${mode}: use desktop (Fluxdeck reconciles) or in-cluster (Flux's controllers)`,
    );
  const given = Object.entries(components ?? {}).filter(([, v]) => v !== undefined);
  if (mode !== 'in-cluster' && given.length > 0)
    throw new BootstrapInputError(
      `the controllers' options (${given.map(([k]) => k).join(', ')}) apply to --mode in-cluster only`,
    );
  return mode ?? 'desktop';
}

function planComponents(input: ComponentsInput | undefined, namespace: string): ComponentsOptions {
  try {
    return componentsOptions({ ...input, namespace });
  } catch (err) {
    if (err instanceof ComponentsInputError) throw new BootstrapInputError(err.message, { cause: err });
    throw err;
  }
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
    opts: { auth?: GitAuth; signal?: AbortSignal },
  ): Promise<Workspace>;
  /** The cluster to bootstrap. */
  client: ClusterClient;
  /** Starts (or confirms) the engine reconciling the cluster, once the manifests are applied. */
  reconcile(): Promise<void>;
}

export interface BootstrapOptions {
  onStep(step: BootstrapStep): void;
  timeoutMs: number;
  /** Cancels the run, the step in flight included: its clone, fetch, push or request to the cluster is aborted. */
  signal?: AbortSignal;
}

/** `{ signal }` for the calls of a step, when the run has one. */
const callOf = (o: BootstrapOptions): { signal?: AbortSignal } => (o.signal ? { signal: o.signal } : {});

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
async function pushManifests(
  ws: Workspace,
  client: ClusterClient,
  plan: BootstrapPlan,
  o: BootstrapOptions,
): Promise<void> {
  const call = callOf(o);
  const updated = await ws.update(call);
  if (updated.status === 'local-changes') {
    // A previous run committed but could not push: put that commit on the server's head first.
    const re = await ws.fetchAndReapply(call);
    if (re.status === 'conflict')
      throw new BootstrapFailed(`cannot update the earlier bootstrap commit: ${re.message}`);
  }
  const mode = plan.mode ?? 'desktop';
  const files = bootstrapFiles(syncOptions(plan));
  const componentsPath = `${syncPath(plan.path).slice(2)}/flux-system/${COMPONENTS_FILE}`;
  if (plan.components) files[componentsPath] = (await fluxComponents(plan.components)).text;
  for (const [path, content] of Object.entries(files)) {
    const existing = await ws.readFile(path).catch(() => undefined);
    const next = path.endsWith('/kustomization.yaml') ? kustomizationFor(existing, mode) : content;
    if (existing !== next) await ws.writeFile(path, next);
  }
  if (mode === 'desktop') await removeComponents(ws, client, { path: componentsPath, namespace: plan.namespace }, o);
  const author = (await userGitIdentity()) ?? AUTHOR_FALLBACK;
  const what = plan.components ? 'components and sync manifests' : 'sync manifests';
  const message = plan.components ? `Add Flux ${plan.components.version} component and sync manifests` : '';
  const committed = await ws.commit({ message: message || 'Add Flux sync manifests', author });
  if (committed.status === 'invalid')
    throw new BootstrapFailed(
      `the sync manifests are not valid YAML: ${committed.problems.map((p) => p.message).join('; ')}`,
    );
  o.onStep({
    state: 'done',
    message:
      committed.status === 'committed'
        ? `committed ${what} to ${plan.branch} (${committed.commit.slice(0, 12)})`
        : `${what} are up to date in ${plan.branch}`,
  });
  // The commit stays if the push is cancelled: the next run pushes it (update → local-changes above).
  let pushed = await ws.push(call);
  if (pushed.status === 'remote-moved') {
    const re = await ws.fetchAndReapply(call);
    if (re.status === 'conflict') throw new BootstrapFailed(re.message);
    pushed = await ws.push(call);
  }
  if (pushed.status === 'rejected' || pushed.status === 'remote-moved')
    throw new BootstrapFailed(`the server refused the push (never forced): ${pushed.message}`);
  o.onStep({
    state: 'done',
    message: pushed.status === 'pushed' ? `pushed to ${plan.branch}` : `${plan.branch} already has it`,
  });
}

/**
 * Back to desktop-reconciled over an in-cluster bootstrap: gotk-components.yaml leaves Git, but its objects stay in
 * the cluster as they are (marked so that no engine prunes them), and nothing is scaled down: while Flux's
 * controllers run, Fluxdeck keeps observing; the step says how to stop them.
 */
async function removeComponents(
  ws: Workspace,
  client: ClusterClient,
  { path, namespace }: { path: string; namespace: string },
  o: BootstrapOptions,
): Promise<void> {
  const existing = await ws.readFile(path).catch(() => undefined);
  if (existing === undefined) return;
  const kept = await keepComponentsOnRemoval(client, existing);
  await ws.deleteFile(path);
  o.onStep({
    state: 'done',
    message:
      `${COMPONENTS_FILE} removed from Git; Flux's controllers stay in the cluster as they are (${kept} objects ` +
      `marked kustomize.toolkit.fluxcd.io/prune: disabled, so neither engine prunes them; nothing scaled down). ` +
      `While they run, Fluxdeck observes; to let Fluxdeck reconcile, stop them: kubectl -n ${namespace} scale ` +
      `deployment --all --replicas=0, or remove them with fluxdeck uninstall --keep-crds --keep-namespace`,
  });
}

/** CRDs, namespace, the source's Secret and the sync manifests, with server-side apply. */
async function applyToCluster(
  client: ClusterClient,
  plan: BootstrapPlan,
  o: BootstrapOptions,
  ssh?: SshSession,
): Promise<void> {
  const crds = await installFluxCrds(client, callOf(o));
  const failed = crds.filter((r) => r.action === 'failed');
  if (failed.length > 0)
    throw new BootstrapFailed(`CRDs could not be installed: ${failed.map((f) => f.name).join(', ')}`);
  client.mapper.invalidate();
  o.onStep({ state: 'done', message: 'Flux CRDs ready' });
  const apply = (obj: KubeObject): Promise<KubeObject> =>
    client.apply(obj, { fieldManager: FIELD_MANAGER, force: true, ...callOf(o) });
  await apply(namespaceWithChoice(plan.namespace, plan.mode ?? 'desktop'));
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
  if (plan.components) {
    await applyComponents(client, (await fluxComponents(plan.components)).objects, o.signal);
    o.onStep({
      state: 'done',
      message: `Flux ${plan.components.version} controllers applied: ${plan.components.components.join(', ')}`,
    });
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

/** In-cluster: waits for Flux's controllers, then leaves flux-system to them (Fluxdeck observes). */
async function stepBack(
  client: ClusterClient,
  plan: BootstrapPlan,
  components: ComponentsOptions,
  o: BootstrapOptions,
): Promise<void> {
  o.onStep({ state: 'running', message: `waiting for Flux's controllers in ${plan.namespace} to be Available` });
  await waitAvailable(client, plan.namespace, components.components, {
    onWaiting: (text) => o.onStep({ state: 'waiting', message: text }),
    timeoutMs: o.timeoutMs,
    ...(o.signal ? { signal: o.signal } : {}),
  }).catch((err: unknown) => {
    throw new BootstrapFailed(errorMessage(err), { cause: err });
  });
  o.onStep({ state: 'done', message: `Flux's controllers are Available: ${components.components.join(', ')}` });
  o.onStep({
    state: 'done',
    message:
      `in-cluster Flux reconciles ${plan.namespace}/flux-system; Fluxdeck steps back and observes ` +
      `(namespace ${plan.namespace} labelled fluxdeck.io/reconciler=in-cluster)`,
  });
  o.onStep({ state: 'done', message: `bootstrap finished in context ${client.context}` });
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
    .openWorkspace(
      { url: plan.url, branch: plan.branch, startBranch: true },
      { ...(auth ? { auth } : {}), ...(o.signal ? { signal: o.signal } : {}) },
    )
    .catch((err: unknown) => {
      const refused = ssh && (err as { code?: string }).code === 'auth';
      throw new BootstrapFailed(`cannot clone ${plan.url}: ${refused ? userKeyRefused(ssh, err) : errorMessage(err)}`, {
        cause: err,
      });
    });
  await pushManifests(ws, deps.client, plan, o);
  await applyToCluster(deps.client, plan, o, ssh);
  if (plan.components) return stepBack(deps.client, plan, plan.components, o);
  o.onStep({
    state: 'running',
    message: `reconciling ${plan.namespace}/flux-system (desktop-reconciled: Fluxdeck runs the controllers)`,
  });
  await deps.reconcile();
  await waitReady(deps.client, plan, o);
  o.onStep({ state: 'done', message: `bootstrap finished in context ${deps.client.context}` });
}
