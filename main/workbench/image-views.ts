/**
 * The image automation panels and the fleet images view: an ImagePolicy's scanned tags with which passed its filter
 * and which the policy selects (the controller's own select-tag code over the stored tags), an automation's commits
 * read from the clone its controller keeps, `fluxdeck image preview` for the panel, and the fleet join over the
 * sessions' watch caches.
 */
import * as fs from 'node:fs';

import git from 'isomorphic-git';

import type {
  AutomationCommit,
  FileDiff,
  FleetImage,
  ImageAutomationKey,
  ImageAutomationPreview,
  ImageAutomationView,
  ImagePolicyKey,
  ImagePolicyView,
  ImageRefView,
} from '../contract/index.ts';
import { compileTagFilter, compileTagSelector } from '../controllers/imagepolicy/select-tag.ts';
import type { StoredTags, TagStore } from '../controllers/imagerepository/tag-store.ts';
import { automationDir } from '../controllers/imageupdateautomation/controller.ts';
import { previewAutomation } from '../controllers/imageupdateautomation/preview.ts';
import { branchesOf } from '../controllers/imageupdateautomation/reconcile.ts';
import type { ClusterSession } from '../engine/cluster-session.ts';
import type { ImagePolicy, ImageRef, ImageRepository, ImageUpdateAutomation } from '../flux/image.ts';
import { fluxKinds } from '../flux/kinds.ts';
import type { GitRepository } from '../flux/source.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import { errorMessage } from '../util/errors.ts';
import type { KubeObject } from '../util/kube-object.ts';
import { asFluxdeckError } from './errors.ts';
import { FLEET_WORKLOAD_KINDS, joinFleetImages } from './fleet-images.ts';

/** Commits of the push branch looked at for the automation's own, and how many of those the panel shows. */
const LOG_DEPTH = 100;
const MAX_COMMITS = 10;
/** A commit that touched more files than this is not one of the automation's (it edits a few marked files). */
const MAX_FILES = 50;

export interface ImagesPort {
  policy(key: ImagePolicyKey, signal: AbortSignal): Promise<ImagePolicyView>;
  automation(key: ImageAutomationKey, signal: AbortSignal): Promise<ImageAutomationView>;
  preview(key: ImageAutomationKey, signal: AbortSignal): Promise<ImageAutomationPreview>;
  fleet(): FleetImage[];
}

export interface ImageViewsDeps {
  clientOf(cluster: string): ClusterClient;
  sessions(): ClusterSession[];
  tags: TagStore;
  /** Where the automations keep their clones (the controller's root). */
  automationRoot: string;
}

const refView = (r: ImageRef | undefined): ImageRefView | undefined =>
  r ? { name: r.name, tag: r.tag, ...(r.digest ? { digest: r.digest } : {}) } : undefined;

/** What the policy is, in words: `semver` and its range, or the order of an alphabetical or numerical one. */
export function describePolicy(policy: ImagePolicy['spec']['policy']): ImagePolicyView['policy'] {
  if (policy.semver) return { kind: 'semver', detail: policy.semver.range };
  if (policy.alphabetical) return { kind: 'alphabetical', detail: policy.alphabetical.order ?? 'asc' };
  if (policy.numerical) return { kind: 'numerical', detail: policy.numerical.order ?? 'asc' };
  return { kind: 'none', detail: '' };
}

/**
 * The panel's view of a policy over a tag list: which tags pass the filter (and what they extract to) and which the
 * policy selects, with the controller's own functions; an invalid spec or no match is a `problem`, not an error.
 */
export function explainPolicy(
  spec: ImagePolicy['spec'],
  tags: readonly string[],
): Pick<ImagePolicyView, 'tags' | 'passed' | 'selected' | 'problem'> {
  let valueOf: (tag: string) => string | undefined;
  try {
    valueOf = compileTagFilter(spec.filterTags);
  } catch (err) {
    return { tags: tags.map((tag) => ({ tag, passed: false })), passed: 0, problem: errorMessage(err) };
  }
  const rows = tags.map((tag) => {
    const value = valueOf(tag);
    return { tag, passed: value !== undefined, ...(value !== undefined && value !== tag && { extracted: value }) };
  });
  const passed = rows.filter((r) => r.passed).length;
  try {
    const { tag } = compileTagSelector(spec.policy, spec.filterTags).select(tags);
    return { tags: rows, passed, selected: tag };
  } catch (err) {
    return { tags: rows, passed, problem: errorMessage(err) };
  }
}

/** The files a commit changed against its first parent, with their text before and after. */
async function commitFiles(gitdir: string, oid: string, parent: string | undefined): Promise<FileDiff[]> {
  const files: { path: string; a?: string; b?: string }[] = [];
  await git.walk({
    fs,
    gitdir,
    trees: parent ? [git.TREE({ ref: parent }), git.TREE({ ref: oid })] : [git.TREE({ ref: oid })],
    map: async (path, entries) => {
      if (path === '.') return true;
      const [a, b] = parent ? entries : [undefined, entries[0]];
      const [oa, ob] = await Promise.all([a?.oid(), b?.oid()]);
      if (oa === ob) return null;
      const [ta, tb] = await Promise.all([a?.type(), b?.type()]);
      if (ta === 'tree' || tb === 'tree') return true;
      if (files.length < MAX_FILES) files.push({ path, ...(oa && { a: oa }), ...(ob && { b: ob }) });
      return true;
    },
  });
  const read = async (blob: string | undefined): Promise<string> =>
    blob ? Buffer.from((await git.readBlob({ fs, gitdir, oid: blob })).blob).toString('utf8') : '';
  return Promise.all(files.map(async (f) => ({ path: f.path, before: await read(f.a), after: await read(f.b) })));
}

/**
 * The automation's commits in its repository (`gitdir`), newest first from `ref` (the last pushed commit, else the push
 * branch): those with its commit author.
 */
export async function automationCommits(
  gitdir: string,
  ref: string,
  author: { name?: string; email?: string },
): Promise<AutomationCommit[]> {
  let log;
  try {
    log = await git.log({ fs, gitdir, ref, depth: LOG_DEPTH });
  } catch (err) {
    // The shallow clone ends somewhere: a log that reaches its boundary is cut there, which is what we want.
    if ((err as { code?: string }).code !== 'NotFoundError') throw err;
    return [];
  }
  const mine = log
    .filter((c) => c.commit.author.email === author.email && (!author.name || c.commit.author.name === author.name))
    .slice(0, MAX_COMMITS);
  return Promise.all(
    mine.map(async (c) => {
      const parent = c.commit.parent[0];
      const files = await commitFiles(gitdir, c.oid, parent).catch(() => []);
      return {
        oid: c.oid,
        message: c.commit.message.trim(),
        author: `${c.commit.author.name} <${c.commit.author.email}>`,
        at: new Date(c.commit.author.timestamp * 1000).toISOString(),
        files,
      };
    }),
  );
}

/** The policy panel's view from the policy, its repository (if it exists) and the stored tags (if scanned). */
export function policyView(
  key: ImagePolicyKey,
  p: ImagePolicy,
  repo: ImageRepository | undefined,
  stored: StoredTags | undefined,
): ImagePolicyView {
  const repository = {
    namespace: p.spec.imageRepositoryRef.namespace ?? key.namespace,
    name: p.spec.imageRepositoryRef.name,
  };
  const explained = explainPolicy(p.spec, stored?.tags ?? []);
  const where = `ImageRepository ${repository.namespace}/${repository.name}`;
  const problem = stored
    ? explained.problem
    : repo
      ? `${where} has no tags scanned by Fluxdeck yet`
      : `${where} does not exist`;
  const image = stored?.canonicalImageName ?? repo?.status?.canonicalImageName ?? repo?.spec.image;
  const filter = p.spec.filterTags;
  return {
    key,
    repository,
    ...(image !== undefined && { image }),
    policy: describePolicy(p.spec.policy),
    ...(filter && {
      filter: {
        ...(filter.pattern !== undefined && { pattern: filter.pattern }),
        ...(filter.extract !== undefined && { extract: filter.extract }),
      },
    }),
    ...explained,
    ...(problem !== undefined && { problem }),
    ...policyStatus(p, repo),
  };
}

function policyStatus(
  p: ImagePolicy,
  repo: ImageRepository | undefined,
): Pick<ImagePolicyView, 'latest' | 'previous' | 'scanTime'> {
  const latest = refView(p.status?.latestRef);
  const previous = refView(p.status?.observedPreviousRef);
  const scanTime = repo?.status?.lastScanResult?.scanTime;
  return {
    ...(latest && { latest }),
    ...(previous && { previous }),
    ...(scanTime !== undefined && { scanTime }),
  };
}

function automationStatus(
  key: ImageAutomationKey,
  a: ImageUpdateAutomation,
): Omit<ImageAutomationView, 'source' | 'commits' | 'pushBranch' | 'commitsProblem'> {
  const st = a.status;
  return {
    key,
    ...(st?.lastPushCommit !== undefined && { lastPushCommit: st.lastPushCommit }),
    ...(st?.lastPushTime !== undefined && { lastPushTime: st.lastPushTime }),
    ...(st?.lastAutomationRunTime !== undefined && { lastAutomationRunTime: st.lastAutomationRunTime }),
    observedPolicies: Object.entries(st?.observedPolicies ?? {})
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([name, ref]) => ({ name, ref: refView(ref) as ImageRefView })),
  };
}

/** The automation's commits from its clone, or why there are none to show. */
async function readCommits(
  dir: string,
  a: ImageUpdateAutomation,
  repo: GitRepository | undefined,
): Promise<Pick<ImageAutomationView, 'commits' | 'pushBranch' | 'commitsProblem'>> {
  try {
    const pushBranch = repo ? branchesOf(a, repo).push : a.spec.git?.push?.branch;
    if (!pushBranch) return { commits: [], commitsProblem: `GitRepository ${a.spec.sourceRef.name} was not found` };
    // The controller keeps a bare repository per automation (`<key>.git`); older versions kept a clone (`.git`).
    const bare = fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => f.endsWith('.git') && f !== '.git') : undefined;
    const gitdir = fs.existsSync(`${dir}/.git`) ? `${dir}/.git` : bare ? `${dir}/${bare}` : undefined;
    if (!gitdir)
      return {
        pushBranch,
        commits: [],
        commitsProblem:
          'No commits to show: this automation has not run in this Fluxdeck yet (or in-cluster Flux runs it), so there is no local clone of its branch.',
      };
    const ref = a.status?.lastPushCommit ?? `refs/heads/${pushBranch}`;
    return { pushBranch, commits: await automationCommits(gitdir, ref, a.spec.git?.commit.author ?? {}) };
  } catch (err) {
    return { commits: [], commitsProblem: errorMessage(err) };
  }
}

const isCached = (session: ClusterSession, kind: string): boolean =>
  session.cachedTypes().some((t) => t.kind === kind && t.apiVersion.startsWith('image.toolkit.fluxcd.io/'));

export function imageViews(deps: ImageViewsDeps): ImagesPort {
  return {
    async policy(key, signal) {
      const client = deps.clientOf(key.cluster);
      try {
        const p = await client.get<ImagePolicy>(
          {
            apiVersion: fluxKinds.ImagePolicy.apiVersion,
            kind: 'ImagePolicy',
            namespace: key.namespace,
            name: key.name,
          },
          { signal },
        );
        const repoRef = {
          namespace: p.spec.imageRepositoryRef.namespace ?? key.namespace,
          name: p.spec.imageRepositoryRef.name,
        };
        const repo = await client
          .get<ImageRepository>(
            { apiVersion: fluxKinds.ImageRepository.apiVersion, kind: 'ImageRepository', ...repoRef },
            { signal },
          )
          .catch(() => undefined);
        return policyView(key, p, repo, await deps.tags.read({ cluster: key.cluster, ...repoRef }));
      } catch (err) {
        throw asFluxdeckError(err, `Could not read ImagePolicy ${key.namespace}/${key.name} in ${key.cluster}`);
      }
    },

    async automation(key, signal) {
      const client = deps.clientOf(key.cluster);
      try {
        const a = await client.get<ImageUpdateAutomation>(
          {
            apiVersion: fluxKinds.ImageUpdateAutomation.apiVersion,
            kind: 'ImageUpdateAutomation',
            namespace: key.namespace,
            name: key.name,
          },
          { signal },
        );
        const source = { namespace: a.spec.sourceRef.namespace ?? key.namespace, name: a.spec.sourceRef.name };
        const repo = await client
          .get<GitRepository>(
            { apiVersion: fluxKinds.GitRepository.apiVersion, kind: 'GitRepository', ...source },
            { signal },
          )
          .catch(() => undefined);
        const commits = await readCommits(automationDir(deps.automationRoot, key.cluster, a), a, repo);
        return { ...automationStatus(key, a), source, ...commits };
      } catch (err) {
        throw asFluxdeckError(
          err,
          `Could not read ImageUpdateAutomation ${key.namespace}/${key.name} in ${key.cluster}`,
        );
      }
    },

    async preview(key, signal) {
      try {
        const p = await previewAutomation(deps.clientOf(key.cluster), key, signal);
        return {
          key,
          url: p.url,
          branch: p.branch,
          head: p.head,
          files: p.run.edits.map((e) => ({ path: e.path, before: e.before, after: e.after })),
          skipped: p.run.skipped,
          notes: p.run.notes,
        };
      } catch (err) {
        throw asFluxdeckError(err, `The preview of ImageUpdateAutomation ${key.namespace}/${key.name} failed`);
      }
    },

    fleet() {
      return joinFleetImages(
        deps.sessions().map((session) => {
          const workloads: KubeObject[] = [];
          for (const kind of FLEET_WORKLOAD_KINDS) {
            const apiVersion = kind === 'CronJob' ? 'batch/v1' : 'apps/v1';
            workloads.push(...session.cache({ apiVersion, kind }).list());
          }
          const policies = isCached(session, 'ImagePolicy')
            ? session.cache({ apiVersion: fluxKinds.ImagePolicy.apiVersion, kind: 'ImagePolicy' }).list()
            : [];
          return { cluster: session.context, workloads, policies };
        }),
      );
    },
  };
}
