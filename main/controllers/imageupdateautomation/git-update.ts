/**
 * One image update run against a Git remote: a clone kept per automation in the data directory, the checkout branch
 * fetched, the push branch's head as the base when it exists (so the push is a fast-forward), the setters applied,
 * one commit of the changed files, and a push that is never forced. When the server moved meanwhile (a rejected
 * non-fast-forward), the new head is fetched and the setters are applied again on it, a few times at most.
 */
import * as fs from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

import git from 'isomorphic-git';

import type { PolicyRef } from '../../images/setters.ts';
import type { GitAuth } from '../../sources/git/git-auth.ts';
import { parseGitUrl } from '../../sources/git/git-url.ts';
import { type GitRemote, gitRemote, WorkspaceError } from '../../sources/workspace/index.ts';
import { runSetters, type SettersRun } from './update-files.ts';

/** Attempts of one run when the server keeps moving. */
const MAX_ATTEMPTS = 4;

export interface GitUpdateRequest {
  /** The clone of this automation (kept between runs). */
  dir: string;
  url: string;
  auth?: GitAuth | undefined;
  checkoutBranch: string;
  pushBranch: string;
  /** Extra `src:dst` refspec of `git.push.refspec`; its destination receives the same commit. */
  refspec?: string | undefined;
  updatePath?: string | undefined;
  policies: ReadonlyMap<string, PolicyRef>;
  author: { name: string; email: string };
  /** The message for the changes of a run (rendered from the template). */
  message: (run: SettersRun) => string | Promise<string>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export type GitUpdateResult =
  | { status: 'no-change'; head: string; run: SettersRun }
  | { status: 'pushed'; commit: string; head: string; run: SettersRun; attempts: number }
  /** Preview: what would be committed, nothing committed. */
  | { status: 'preview'; head: string; run: SettersRun };

/** A failure of the git side, with `code` of WorkspaceError ('auth', 'network', 'git') and a message to show. */
export class GitUpdateError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GitUpdateError';
    this.code = code;
  }
}

const localRef = (branch: string): string => `refs/heads/${branch}`;

async function isRepository(dir: string, branch: string): Promise<boolean> {
  try {
    await git.resolveRef({ fs, dir, ref: `refs/remotes/origin/${branch}` });
    return true;
  } catch {
    return false;
  }
}

async function ensureClone(remote: GitRemote, req: GitUpdateRequest): Promise<void> {
  if (await isRepository(req.dir, req.checkoutBranch)) return;
  await rm(req.dir, { recursive: true, force: true });
  await mkdir(dirname(req.dir), { recursive: true });
  await remote.clone(req.dir, req.checkoutBranch, 1);
}

/** The commit to build on: the push branch's head when it exists on the server, else the checkout branch's head. */
async function baseCommit(remote: GitRemote, req: GitUpdateRequest, cache: object): Promise<string> {
  const checkout = await remote.fetch(req.dir, req.checkoutBranch, cache);
  if (req.pushBranch === req.checkoutBranch) return checkout;
  try {
    return await remote.fetch(req.dir, req.pushBranch, cache);
  } catch (err) {
    // A missing push branch is created from the checkout branch; credentials or network problems are not that.
    if (err instanceof WorkspaceError && (err.code === 'auth' || err.code === 'network')) throw err;
    return checkout;
  }
}

/**
 * Set while a run's edits are in the work tree but not committed: the next run then restores every file, whatever
 * happened in between (a crash, a failed commit).
 */
const dirtyMark = (dir: string): string => `${dir}/.git/fluxdeck-dirty`;

/**
 * Points the local push branch at `oid` and makes the files match it. The checkout (which looks at every file, most
 * of a run's time in a large repository) is skipped when the branch is already checked out at `oid` and clean.
 */
async function moveTo(dir: string, branch: string, oid: string, cache: object): Promise<void> {
  const current = await git.currentBranch({ fs, dir }).catch(() => undefined);
  const at = await git.resolveRef({ fs, dir, ref: localRef(branch) }).catch(() => undefined);
  if (current === branch && at === oid && !fs.existsSync(dirtyMark(dir))) return;
  await git.writeRef({ fs, dir, ref: localRef(branch), value: oid, force: true });
  await git.checkout({ fs, dir, ref: branch, force: true, cache });
  await rm(dirtyMark(dir), { force: true });
}

function refspecBranch(refspec: string | undefined): string | undefined {
  if (!refspec) return undefined;
  const dst = refspec.split(':')[1] ?? refspec;
  return dst.replace(/^refs\/heads\//, '');
}

async function commitRun(req: GitUpdateRequest, run: SettersRun, parent: string, cache: object): Promise<string> {
  // One call for every path: the index is read and written once, not once per file.
  await git.add({ fs, dir: req.dir, filepath: run.edits.map((e) => e.path), cache });
  const commit = await git.commit({
    fs,
    dir: req.dir,
    ref: localRef(req.pushBranch),
    message: await req.message(run),
    author: req.author,
    parent: [parent],
    cache,
  });
  await rm(dirtyMark(req.dir), { force: true });
  return commit;
}

function wrap(err: unknown): GitUpdateError {
  if (err instanceof GitUpdateError) return err;
  const code = err instanceof WorkspaceError ? err.code : 'git';
  return new GitUpdateError(code, (err as Error).message, { cause: err });
}

/** Pushes the commit to the push branch, then to the refspec's destination when it names another branch. */
async function pushCommit(
  remote: GitRemote,
  req: GitUpdateRequest,
  commit: string,
  cache: object,
): Promise<Awaited<ReturnType<GitRemote['push']>>> {
  const pushed = await remote.push(req.dir, commit, req.pushBranch, cache);
  const extra = refspecBranch(req.refspec);
  if (pushed.status !== 'pushed' || !extra || extra === req.pushBranch) return pushed;
  const also = await remote.push(req.dir, commit, extra, cache);
  if (also.status !== 'pushed')
    throw new GitUpdateError('git', `pushed ${req.pushBranch}, but refspec ${req.refspec ?? ''}: ${also.message}`);
  return pushed;
}

/** Runs the update (or, with `preview`, computes what it would commit without committing or pushing). */
export async function runGitUpdate(req: GitUpdateRequest, preview = false): Promise<GitUpdateResult> {
  const remote = gitRemote(parseGitUrl(req.url), req.auth, {
    ...(req.signal && { signal: req.signal }),
    timeoutMs: req.timeoutMs ?? 60_000,
  });
  try {
    await ensureClone(remote, req);
    // isomorphic-git's object cache for this run: without it each step reads and inflates the pack again.
    const cache = {};
    for (let attempt = 1; ; attempt++) {
      const head = await baseCommit(remote, req, cache);
      await moveTo(req.dir, req.pushBranch, head, cache);
      if (!preview) await writeFile(dirtyMark(req.dir), '');
      const run = await runSetters(req.dir, req.updatePath, req.policies, !preview);
      if (preview) return { status: 'preview', head, run };
      if (run.edits.length === 0) {
        await rm(dirtyMark(req.dir), { force: true });
        return { status: 'no-change', head, run };
      }
      const commit = await commitRun(req, run, head, cache);
      const pushed = await pushCommit(remote, req, commit, cache);
      if (pushed.status === 'pushed') return { status: 'pushed', commit, head, run, attempts: attempt };
      if (pushed.status === 'rejected') throw new GitUpdateError(pushed.reason, pushed.message);
      if (attempt >= MAX_ATTEMPTS)
        throw new GitUpdateError('git', `${pushed.message}; gave up after ${attempt} attempts (never force-pushed)`);
    }
  } catch (err) {
    throw wrap(err);
  }
}
