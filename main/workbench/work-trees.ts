/**
 * The editor's work trees over main/sources/workspace: opened from a GitRepository (its URL and branch), named by an
 * id handed to the renderer, pushed with the repository's `secretRef` credentials unless the user entered their
 * own, and previewed by building the affected Kustomizations from the work tree and dry-running them.
 */
import { randomUUID } from 'node:crypto';

import {
  type ArtifactPushResult,
  FluxdeckError,
  type GitCredentials,
  type GitRepositoryKey,
  insidePath,
  type KustomizationPreview,
  type WorkTree,
  type WorkTreePreview,
} from '../contract/index.ts';
import type { BuildWorkers } from '../controllers/kustomization/build.ts';
import type { ClusterRegistry } from '../engine/cluster-registry.ts';
import { fluxKinds } from '../flux/kinds.ts';
import type { Kustomization } from '../flux/kustomize.ts';
import type { GitRepository, GitRepositoryRef } from '../flux/source.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import { secretData } from '../kube/secrets.ts';
import { authFromSecret, type GitAuth } from '../sources/git/git-auth.ts';
import { DEFAULT_BRANCH } from '../sources/git/git-reference.ts';
import { parseGitUrl } from '../sources/git/git-url.ts';
import { userGitIdentity, type Workspace, type Workspaces } from '../sources/workspace/index.ts';
import { errorMessage } from '../util/errors.ts';
import type { CredentialStore } from './credential-store.ts';
import { asFluxdeckError } from './errors.ts';
import { buildForPreview, type HelmPreviewDeps, previewObjects } from './previews.ts';
import { pushWorkTreeArtifact, type WorkTreeArtifact } from './work-tree-artifact.ts';
import type { PreviewStep, WorkTreePort } from './workbench.ts';

export interface WorkTreeDeps {
  workspaces: Pick<Workspaces, 'open'>;
  registry: Pick<ClusterRegistry, 'connected'>;
  /** The client of a connected cluster; throws FluxdeckError('not-connected') otherwise. */
  clientOf(cluster: string): ClusterClient;
  credentials: CredentialStore;
  /** The engine's build pool: previews build like the reconciler, without a thread of their own. */
  builds: BuildWorkers;
  /** Rendering HelmReleases the edit changes, in a cluster (without it, only the HelmRelease objects are diffed). */
  helm?: (cluster: string) => HelmPreviewDeps;
}

interface Entry {
  id: string;
  repo: GitRepositoryKey;
  /** `spec.url` as written (the credential store's key). */
  url: string;
  branch: string;
  ws: Workspace;
  credentials: WorkTree['credentials'];
  update: WorkTree['update'];
}

/** A Kustomization that reads a repository and branch, in any connected cluster. */
interface Reader {
  key: KustomizationPreview['key'];
  path: string;
  source: GitRepositoryKey;
}

const describeRepo = (r: GitRepositoryKey): string => `GitRepository ${r.namespace}/${r.name} in ${r.cluster}`;

/** The branch a GitRepository follows, which is what its work tree edits; tags and semver ranges cannot be pushed to. */
export function branchOf(ref: GitRepositoryRef | undefined): string | undefined {
  if (ref?.name) return /^refs\/heads\/(.+)$/.exec(ref.name)?.[1];
  if (ref?.commit) return ref.branch || undefined;
  if (ref?.semver || ref?.tag) return undefined;
  return ref?.branch || DEFAULT_BRANCH;
}

/** Every Kustomization of every connected cluster whose GitRepository has this URL and branch. */
export function readersOf(registry: Pick<ClusterRegistry, 'connected'>, url: string, branch: string): Reader[] {
  const out: Reader[] = [];
  for (const session of registry.connected()) {
    if (session.status.role === 'no-flux-crds') continue;
    const repos = (session.cache(fluxKinds.GitRepository).list() as GitRepository[]).filter(
      (r) => r.spec.url === url && branchOf(r.spec.ref) === branch,
    );
    for (const ks of session.cache(fluxKinds.Kustomization).list() as Kustomization[]) {
      const ref = ks.spec.sourceRef;
      const ns = ks.metadata.namespace ?? '';
      const repo = repos.find(
        (r) =>
          ref.kind === 'GitRepository' &&
          r.metadata.name === ref.name &&
          r.metadata.namespace === (ref.namespace ?? ns),
      );
      if (!repo) continue;
      out.push({
        key: { cluster: session.context, kind: 'Kustomization', namespace: ns, name: ks.metadata.name ?? '' },
        path: ks.spec.path ?? './',
        source: {
          cluster: session.context,
          kind: 'GitRepository',
          namespace: repo.metadata.namespace ?? '',
          name: repo.metadata.name ?? '',
        },
      });
    }
  }
  return out.sort((a, b) =>
    `${a.key.cluster}/${a.key.namespace}/${a.key.name}`.localeCompare(
      `${b.key.cluster}/${b.key.namespace}/${b.key.name}`,
    ),
  );
}

/** The user's credentials for the URL if they entered some, else the GitRepository's Secret, else none. */
export async function workTreeAuth(
  deps: Pick<WorkTreeDeps, 'clientOf' | 'credentials'>,
  repo: GitRepositoryKey,
  obj: GitRepository,
  signal: AbortSignal,
): Promise<{ auth?: GitAuth; source: WorkTree['credentials'] }> {
  const url = parseGitUrl(obj.spec.url);
  const client = deps.clientOf(repo.cluster);
  const secretName = obj.spec.secretRef && `${repo.namespace}/${obj.spec.secretRef.name}`;
  const secret = obj.spec.secretRef
    ? await secretData(client, repo.namespace, obj.spec.secretRef.name, signal)
    : undefined;
  const stored = await deps.credentials.get(obj.spec.url);
  if (stored && url.protocol !== 'ssh') {
    // The Secret's CA still applies to credentials typed by the user.
    const ca = secret?.['ca.crt'] ?? secret?.caFile;
    return {
      auth: authFromSecret(url, { ...stored.credentials, ...(ca && { 'ca.crt': ca }) }, 'the credentials you entered'),
      source: stored.kept,
    };
  }
  if (secretName) return { auth: authFromSecret(url, secret, secretName), source: 'secret' };
  return { source: 'none' };
}

/** Builds one Kustomization from the work tree and dry-runs it; a failure is reported in the result, not thrown. */
export async function previewReader(
  deps: Pick<WorkTreeDeps, 'clientOf' | 'builds' | 'helm'>,
  reader: Reader,
  run: { files: string[]; root: string; signal: AbortSignal; step: (message: string) => void },
): Promise<KustomizationPreview> {
  const { files, root, signal, step } = run;
  const { key } = reader;
  const base = { key, path: reader.path, files };
  const what = `Kustomization ${key.namespace}/${key.name}`;
  try {
    const client = deps.clientOf(key.cluster);
    const ks = await client.get<Kustomization>(
      {
        apiVersion: fluxKinds.Kustomization.apiVersion,
        kind: 'Kustomization',
        namespace: key.namespace,
        name: key.name,
      },
      { signal },
    );
    step(`Building ${what} from the work tree`);
    let objects;
    try {
      objects = await buildForPreview({ workers: deps.builds, client, signal }, ks, { root });
    } catch (err) {
      step(`The build of ${what} failed`);
      return { ...base, objects: [], error: errorMessage(err) };
    }
    step(`Dry-running ${objects.length} objects of ${what} against ${key.cluster}`);
    return { ...base, objects: await previewObjects({ client, signal, helm: deps.helm?.(key.cluster) }, ks, objects) };
  } catch (err) {
    return {
      ...base,
      objects: [],
      error: asFluxdeckError(err, `The preview of ${what} in ${key.cluster} failed`).message,
    };
  }
}

function readRepo(
  deps: Pick<WorkTreeDeps, 'clientOf'>,
  repo: GitRepositoryKey,
  signal: AbortSignal,
): Promise<GitRepository> {
  return deps.clientOf(repo.cluster).get<GitRepository>(
    {
      apiVersion: fluxKinds.GitRepository.apiVersion,
      kind: 'GitRepository',
      namespace: repo.namespace,
      name: repo.name,
    },
    { signal },
  );
}

/** Re-reads the GitRepository and its credentials before talking to the server (the Secret may have changed). */
async function refreshAuth(deps: WorkTreeDeps, e: Entry): Promise<void> {
  const signal = AbortSignal.timeout(30_000);
  const obj = await readRepo(deps, e.repo, signal);
  const { auth, source } = await workTreeAuth(deps, e.repo, obj, signal);
  e.ws.setAuth(auth);
  e.credentials = source;
}

/** The work tree as the renderer shows it. */
async function describe(deps: WorkTreeDeps, e: Entry): Promise<WorkTree> {
  const [files, status, author] = await Promise.all([
    e.ws.files(),
    e.ws.status(),
    userGitIdentity().catch(() => undefined),
  ]);
  return {
    id: e.id,
    repo: e.repo,
    url: e.ws.url,
    branch: e.branch,
    files,
    status,
    update: e.update,
    ...(author && { author }),
    credentials: e.credentials,
    credentialStorage: deps.credentials.kind,
    kustomizations: readersOf(deps.registry, e.url, e.branch),
  };
}

/** Pushes a work tree directory as an OCI artifact: the tree's URL and head name its source and revision. */
async function pushFrom(
  e: Entry,
  input: Pick<WorkTreeArtifact, 'dir' | 'url' | 'insecure'>,
  opts: Parameters<WorkTreePort['pushArtifact']>[2],
): Promise<ArtifactPushResult> {
  return pushWorkTreeArtifact({ ...input, root: e.ws.dir, source: e.ws.url, status: await e.ws.status() }, opts);
}

/** Follows the server when a work tree is opened, unless it was cloned just now; a failed fetch is not an error here. */
async function updateOnOpen(ws: Workspace): Promise<{ status: Entry['update'] }> {
  if (ws.takeFreshClone()) return { status: 'up-to-date' };
  return ws.update().catch(() => ({ status: 'up-to-date' as const }));
}

export function createWorkTrees(deps: WorkTreeDeps): WorkTreePort {
  const entries = new Map<string, Entry>();
  const idsByRepo = new Map<string, string>();

  const entry = (id: string): Entry => {
    const e = entries.get(id);
    if (!e)
      throw new FluxdeckError('not-found', `There is no open work tree ${id}: open it again from the GitRepository.`);
    return e;
  };

  /** Runs a work-tree operation, naming the repository in what it throws. */
  const op = async <T>(id: string, what: string, run: (e: Entry) => Promise<T>): Promise<T> => {
    const e = entry(id);
    try {
      return await run(e);
    } catch (err) {
      throw asFluxdeckError(err, `${what} in the work tree of ${describeRepo(e.repo)} failed`);
    }
  };

  return {
    async open(repo, signal) {
      try {
        const obj = await readRepo(deps, repo, signal);
        const branch = branchOf(obj.spec.ref);
        if (!branch)
          throw new FluxdeckError(
            'invalid-request',
            `${describeRepo(repo)} follows a tag or a semver range, not a branch, so there is nothing to push to: edit the branch the tag is made from instead.`,
          );
        const { auth, source } = await workTreeAuth(deps, repo, obj, signal);
        const ws = await deps.workspaces.open({ url: obj.spec.url, branch }, auth ? { auth } : {});
        if (!auth) ws.setAuth(undefined);
        const update = await updateOnOpen(ws);
        const repoKey = JSON.stringify([repo.cluster, repo.namespace, repo.name]);
        const id = idsByRepo.get(repoKey) ?? randomUUID();
        idsByRepo.set(repoKey, id);
        const e: Entry = { id, repo, url: obj.spec.url, branch, ws, credentials: source, update: update.status };
        entries.set(id, e);
        return await describe(deps, e);
      } catch (err) {
        throw asFluxdeckError(err, `Could not open the work tree of ${describeRepo(repo)}`);
      }
    },

    read: (id, path) => op(id, `Reading ${path}`, (e) => e.ws.readFile(path)),
    write: (id, path, text) =>
      op(id, `Saving ${path}`, async (e) => {
        await e.ws.writeFile(path, text);
        return e.ws.status();
      }),
    status: (id) => op(id, 'Reading the status', (e) => e.ws.status()),
    validate: (id) => op(id, 'Checking the YAML', (e) => e.ws.validate()),

    preview: (id, opts) =>
      op(id, 'The preview', async (e): Promise<WorkTreePreview> => {
        const [status, problems] = [await e.ws.status(), await e.ws.validate()];
        const changed = status.changes.map((c) => c.path);
        const all = readersOf(deps.registry, e.url, e.branch);
        // Committed but unpushed edits are in the work tree too: with nothing uncommitted, every reader is affected.
        const affected =
          changed.length === 0
            ? status.ahead > 0
              ? all
              : []
            : all.filter((r) => changed.some((f) => insidePath(r.path, f)));
        const total = affected.length * 2;
        let done = 0;
        const report = (message: string): void => {
          opts.onProgress({ message, done: Math.min(done, total), total } satisfies PreviewStep);
          done++;
        };
        const kustomizations: KustomizationPreview[] = [];
        for (const r of affected) {
          if (opts.signal.aborted) break;
          kustomizations.push(
            await previewReader(deps, r, {
              files: changed.filter((f) => insidePath(r.path, f)),
              root: e.ws.dir,
              signal: opts.signal,
              step: report,
            }),
          );
        }
        opts.onProgress({ message: 'Preview ready', done: total, total });
        return { id, changes: status.changes, problems, kustomizations };
      }),

    commit: (id, opts) =>
      op(id, 'The commit', (e) => e.ws.commit({ message: opts.message, ...(opts.author && { author: opts.author }) })),
    push: (id) =>
      op(id, 'The push', async (e) => {
        await refreshAuth(deps, e);
        return e.ws.push();
      }),
    reapply: (id, keepMine) =>
      op(id, 'Fetching and re-applying', async (e) => {
        await refreshAuth(deps, e);
        return e.ws.fetchAndReapply({ keepMine });
      }),
    abort: (id) =>
      op(id, 'Aborting', async (e) => {
        await refreshAuth(deps, e).catch(() => undefined);
        const r = await e.ws.abort();
        return {
          status: r.status,
          head: r.head,
          fetched: r.fetched,
          ...(r.backup && { backup: { dir: r.backup.dir, files: r.backup.files, commits: r.backup.commits } }),
        };
      }),

    setCredentials: (id, credentials: GitCredentials, remember) =>
      op(id, 'Saving the credentials', async (e) => {
        await deps.credentials.set(e.url, credentials, remember);
        await refreshAuth(deps, e);
        return describe(deps, e);
      }),
    pushArtifact: (id, input, opts) => op(id, `Pushing ${input.dir} as an artifact`, (e) => pushFrom(e, input, opts)),
    forgetCredentials: (id) =>
      op(id, 'Forgetting the credentials', async (e) => {
        await deps.credentials.delete(e.url);
        await refreshAuth(deps, e);
        return describe(deps, e);
      }),
  };
}
