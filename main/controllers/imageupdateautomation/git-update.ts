/**
 * One image update run against a Git remote, on git objects only (no work tree): the checkout ref is fetched into a
 * bare repository kept per automation with the source controller's fetcher (any ref kind: branch, tag, semver, name,
 * commit; protocol v2, incremental, native zlib), the push branch's head is the base when it exists (so the push is a
 * fast-forward), the setters run over the YAML blobs under `update.path`, and the commit is the old tree with the
 * changed blobs swapped in. The push sends exactly the new objects and expects the branch where it was fetched: when
 * the server moved meanwhile the new head is fetched and the setters applied again on it, a few times at most; the
 * push is never forced.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { PolicyRefs } from '../../images/setters.ts';
import { commitPayload, withSignature } from '../../sources/git/commit-object.ts';
import type { GitAuth } from '../../sources/git/git-auth.ts';
import { fetchGit, withRepoLock } from '../../sources/git/git-fetch.ts';
import type { GitRef } from '../../sources/git/git-reference.ts';
import { parseGitUrl } from '../../sources/git/git-url.ts';
import { createHttpClient } from '../../sources/git/http-client.ts';
import { ObjectStore, parseCommit } from '../../sources/git/object-store.ts';
import { indexPack } from '../../sources/git/pack-indexer.ts';
import {
  advertisedRefs,
  encodePack,
  type GitObjectData,
  objectId,
  PushRefusedError,
  type PushTarget,
  receivePack,
  REF_MOVED,
  type RefUpdate,
  ZERO_OID,
} from '../../sources/git/receive-pack.ts';
import { SourceError, SourceReason } from '../../sources/source-error.ts';
import { gitRemote, WorkspaceError } from '../../sources/workspace/index.ts';
import { replaceFiles, yamlFilesOfTree } from './tree-update.ts';
import { applySettersToFiles, type SettersRun } from './update-files.ts';

/** Attempts of one run when the server keeps moving. */
const MAX_ATTEMPTS = 4;

export interface GitUpdateRequest {
  /** Where this automation keeps its repository (between runs). */
  dir: string;
  url: string;
  auth?: GitAuth | undefined;
  /** `git.checkout.ref` (or the GitRepository's ref): branch, tag, semver, name or commit. */
  checkout: GitRef;
  pushBranch: string;
  /** Extra `src:dst` refspec of `git.push.refspec`; its destination receives the same commit. */
  refspec?: string | undefined;
  /** `git.push.options`: sent as `git push -o key=value` (a key with an empty value as `-o key`). */
  pushOptions?: Readonly<Record<string, string>> | undefined;
  updatePath?: string | undefined;
  policies: PolicyRefs;
  author: { name: string; email: string };
  /** The message for the changes of a run (rendered from the template). */
  message: (run: SettersRun) => string | Promise<string>;
  /** Signs the commit text; returns an armored signature for the `gpgsig` header. */
  sign?: ((payload: string) => Promise<string>) | undefined;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** The commit time (tests); default now. */
  now?: () => Date;
}

export type GitUpdateResult =
  | { status: 'no-change'; head: string; run: SettersRun }
  | { status: 'pushed'; commit: string; head: string; run: SettersRun; attempts: number }
  /** Preview: what would be committed, nothing committed. */
  | { status: 'preview'; head: string; run: SettersRun };

/** A failure of the git side, with `code` ('auth', 'network', 'git', 'hook') and a message to show. */
export class GitUpdateError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GitUpdateError';
    this.code = code;
  }
}

/** True when the ref is a branch (or empty: the default branch); tag, semver, name and commit are not. */
export const checksOutBranch = (ref: GitRef): boolean => !ref.tag && !ref.semver && !ref.name && !ref.commit;

const branchRef = (branch: string): string => `refs/heads/${branch}`;

function refspecBranch(refspec: string | undefined): string | undefined {
  if (!refspec) return undefined;
  const dst = refspec.split(':')[1] ?? refspec;
  return dst.replace(/^refs\/heads\//, '');
}

/** `git.push.options` as `git push -o` strings, in key order so runs send the same. */
export function pushOptionStrings(options: Readonly<Record<string, string>> | undefined): string[] {
  return Object.keys(options ?? {})
    .sort()
    .map((k) => (options?.[k] ? `${k}=${options[k]}` : k));
}

function wrap(err: unknown): GitUpdateError {
  if (err instanceof GitUpdateError) return err;
  if (err instanceof SourceError)
    return new GitUpdateError(err.reason === SourceReason.AuthenticationFailed ? 'auth' : 'git', err.message, {
      cause: err,
    });
  const code = err instanceof WorkspaceError ? err.code : 'git';
  return new GitUpdateError(code, (err as Error).message, { cause: err });
}

interface Base {
  gitdir: string;
  /** What the update builds on. */
  commit: string;
  /** The push branch's head on the server, or ZERO_OID when the run creates the branch. */
  pushOld: string;
}

/** The commit to build on: the push branch's head when it exists on the server, else the checkout's commit. */
async function fetchBase(req: GitUpdateRequest): Promise<Base> {
  const opts = { cacheDir: req.dir, ...(req.signal && { signal: req.signal }), timeoutMs: req.timeoutMs ?? 60_000 };
  const spec = { url: req.url, ref: req.checkout };
  const checkout = await fetchGit(spec, req.auth, opts);
  if (checksOutBranch(req.checkout) && (req.checkout.branch ?? 'master') === req.pushBranch)
    return { gitdir: checkout.gitdir, commit: checkout.commit, pushOld: checkout.commit };
  try {
    const push = await fetchGit({ url: req.url, ref: { branch: req.pushBranch } }, req.auth, opts);
    return { gitdir: push.gitdir, commit: push.commit, pushOld: push.commit };
  } catch (err) {
    // A missing push branch is created from the checkout; credentials or network problems are not that.
    if (err instanceof SourceError && / not found in /.test(err.message))
      return { gitdir: checkout.gitdir, commit: checkout.commit, pushOld: ZERO_OID };
    throw err;
  }
}

/** The run's objects as a pack in the repository: the SSH push reads them there, and the next run finds its commit. */
async function storeObjects(gitdir: string, objects: readonly GitObjectData[]): Promise<void> {
  const packDir = join(gitdir, 'objects', 'pack');
  await mkdir(packDir, { recursive: true });
  const tmp = join(packDir, `tmp-update-${process.pid}-${Date.now().toString(36)}`);
  try {
    await writeFile(`${tmp}.pack`, encodePack(objects));
    const { checksum } = indexPack(`${tmp}.pack`, `${tmp}.idx`);
    await rename(`${tmp}.pack`, join(packDir, `pack-${checksum}.pack`));
    await rename(`${tmp}.idx`, join(packDir, `pack-${checksum}.idx`));
  } finally {
    await rm(`${tmp}.pack`, { force: true });
    await rm(`${tmp}.idx`, { force: true });
  }
}

type PushOutcome = { status: 'pushed' } | { status: 'remote-moved'; message: string };

function httpTarget(req: GitUpdateRequest): PushTarget {
  const auth = req.auth?.kind === 'http' ? req.auth : undefined;
  const headers: Record<string, string> = auth?.authorization ? { authorization: auth.authorization } : {};
  const timeout = AbortSignal.timeout(req.timeoutMs ?? 60_000);
  const http = createHttpClient({
    headers,
    signal: req.signal ? AbortSignal.any([req.signal, timeout]) : timeout,
    ...(auth?.caCert ? { caCert: auth.caCert } : {}),
  });
  return { http, url: parseGitUrl(req.url).display, headers };
}

/** The push branch's update, and the refspec destination's when it names another branch. */
function refUpdates(req: GitUpdateRequest, base: Base, commit: string, refs: Map<string, string>): RefUpdate[] {
  const updates = [{ ref: branchRef(req.pushBranch), old: base.pushOld, new: commit }];
  const extra = refspecBranch(req.refspec);
  if (!extra || extra === req.pushBranch) return updates;
  const old = refs.get(branchRef(extra)) ?? ZERO_OID;
  // Never forced: the refspec's branch must be new, or at what this commit builds on.
  if (![ZERO_OID, base.commit, base.pushOld, commit].includes(old))
    throw new GitUpdateError(
      'git',
      `refspec ${req.refspec ?? ''}: branch ${extra} is at ${old.slice(0, 7)}, which the update commit does not contain; not force-pushed`,
    );
  if (old !== commit) updates.push({ ref: branchRef(extra), old, new: commit });
  return updates;
}

/** A 401/403 on the push: the credentials read, but may not write (or are wrong). */
function pushAuthFailure(url: string, err: unknown): GitUpdateError | undefined {
  const status = (err as { data?: { statusCode?: number } }).data?.statusCode;
  if (status !== 401 && status !== 403) return undefined;
  return new GitUpdateError(
    'auth',
    `cannot push to ${url}: authentication failed (HTTP ${status}); check that the GitRepository's secret may write to the repository`,
    { cause: err },
  );
}

/** Over http(s): receive-pack with exactly the run's objects, each ref expected where it was fetched. */
async function pushHttp(
  req: GitUpdateRequest,
  base: Base,
  commit: string,
  objects: readonly GitObjectData[],
): Promise<PushOutcome> {
  const target = httpTarget(req);
  const { refs, capabilities } = await advertisedRefs(target).catch((err: unknown) => {
    throw pushAuthFailure(target.url, err) ?? err;
  });
  if ((refs.get(branchRef(req.pushBranch)) ?? ZERO_OID) !== base.pushOld)
    return { status: 'remote-moved', message: `branch ${req.pushBranch} moved on the server while updating` };
  const updates = refUpdates(req, base, commit, refs);
  let result;
  try {
    const options = pushOptionStrings(req.pushOptions);
    result = await receivePack({ ...target, capabilities }, { updates, objects, options, atomic: true });
  } catch (err) {
    if (err instanceof PushRefusedError) throw new GitUpdateError('hook', `${target.url}: ${err.message}`);
    throw err;
  }
  const failed = updates.flatMap((u) => {
    const r = result.refs.get(u.ref) ?? { ok: false as const, reason: 'no report from the server' };
    return r.ok ? [] : [{ ref: u.ref, reason: r.reason }];
  });
  if (failed.length === 0) return { status: 'pushed' };
  const reasons = failed.map((f) => `${f.ref}: ${f.reason}`).join('; ');
  if (failed.every((f) => REF_MOVED.test(f.reason))) return { status: 'remote-moved', message: reasons };
  const said = result.messages.join(' ');
  throw new GitUpdateError('hook', `${target.url} refused the push: ${reasons}${said ? ` (${said})` : ''}`);
}

/** Over SSH: the system git pushes from the repository (isomorphic-git has no SSH transport). */
async function pushSsh(req: GitUpdateRequest, base: Base, commit: string): Promise<PushOutcome> {
  const remote = gitRemote(parseGitUrl(req.url), req.auth, {
    ...(req.signal && { signal: req.signal }),
    timeoutMs: req.timeoutMs ?? 60_000,
  });
  const options = pushOptionStrings(req.pushOptions);
  const branches = [req.pushBranch];
  const extra = refspecBranch(req.refspec);
  if (extra && extra !== req.pushBranch) branches.push(extra);
  for (const [i, branch] of branches.entries()) {
    const pushed = await remote.push(base.gitdir, commit, branch, { options });
    if (pushed.status === 'pushed') continue;
    if (pushed.status === 'remote-moved' && i === 0) return pushed;
    throw new GitUpdateError(pushed.status === 'rejected' ? pushed.reason : 'git', pushed.message);
  }
  return { status: 'pushed' };
}

/** The setters over the base commit's files, and the new tree when something changed (not for a preview). */
function buildUpdate(
  req: GitUpdateRequest,
  base: Base,
  preview: boolean,
): { run: SettersRun; tree?: string; objects?: GitObjectData[] } {
  const store = new ObjectStore(base.gitdir);
  try {
    const tree = parseCommit(store.readTyped(base.commit, 'commit')).tree;
    const run = applySettersToFiles(yamlFilesOfTree(store, tree, req.updatePath), req.policies);
    if (preview || run.edits.length === 0) return { run };
    return { run, ...replaceFiles(store, tree, new Map(run.edits.map((e) => [e.path, e.after]))) };
  } finally {
    store.close();
  }
}

/** The commit object of the run: author as committer, signed when the request has a signer. */
async function commitObject(
  req: GitUpdateRequest,
  tree: string,
  parent: string,
  run: SettersRun,
): Promise<GitObjectData> {
  const person = { ...req.author, time: Math.floor((req.now?.() ?? new Date()).getTime() / 1000) };
  const payload = commitPayload({
    tree,
    parents: [parent],
    author: person,
    committer: person,
    message: await req.message(run),
  });
  const text = req.sign ? withSignature(payload, await req.sign(payload)) : payload;
  return { type: 'commit', data: Buffer.from(text) };
}

/** Runs the update (or, with `preview`, computes what it would commit without committing or pushing). */
export async function runGitUpdate(req: GitUpdateRequest, preview = false): Promise<GitUpdateResult> {
  try {
    // A clone made by an earlier version (a work tree with `.git`) is not used any more.
    if (existsSync(join(req.dir, '.git'))) await rm(req.dir, { recursive: true, force: true });
    for (let attempt = 1; ; attempt++) {
      const base = await fetchBase(req);
      const update = await withRepoLock(base.gitdir, () => Promise.resolve(buildUpdate(req, base, preview)));
      const { run } = update;
      if (preview) return { status: 'preview', head: base.commit, run };
      if (!update.tree || !update.objects) return { status: 'no-change', head: base.commit, run };
      const made = await commitObject(req, update.tree, base.commit, run);
      const commit = objectId(made);
      const objects = [...update.objects, made];
      await withRepoLock(base.gitdir, () => storeObjects(base.gitdir, objects));
      const pushed =
        parseGitUrl(req.url).protocol === 'ssh'
          ? await pushSsh(req, base, commit)
          : await pushHttp(req, base, commit, objects);
      if (pushed.status === 'pushed') return { status: 'pushed', commit, head: base.commit, run, attempts: attempt };
      if (attempt >= MAX_ATTEMPTS)
        throw new GitUpdateError('git', `${pushed.message}; gave up after ${attempt} attempts (never force-pushed)`);
    }
  } catch (err) {
    throw wrap(err);
  }
}
