import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import git, { type MergeDriverCallback } from 'isomorphic-git';

import { errorMessage } from '../../util/errors.ts';
import type { GitAuth } from '../git/git-auth.ts';
import { IndexFormatError } from '../git/git-index.ts';
import { type GitUrl, parseGitUrl } from '../git/git-url.ts';
import { ObjectStore } from '../git/object-store.ts';
import { commitsAfter } from '../git/push-objects.ts';
import { SubmoduleFound } from '../git/tree-edit.ts';
import { type GitIdentity, userGitIdentity } from './git-identity.ts';
import { type GitRemote, gitRemote, type RemoteOptions } from './git-remote.ts';
import { commitTree } from './tree-commit.ts';
import { changesAll, changesAt, type FileChange } from './work-tree-changes.ts';
import { resolveInWorkTree, workTreeSegments } from './work-tree-path.ts';
import { WorkspaceError } from './workspace-error.ts';
import { workspaceDirName } from './workspace-name.ts';
import { checkYaml, isYamlPath, type YamlProblem } from './yaml-check.ts';

/**
 * A writable clone of one branch of a GitRepository's URL, for editing: files are read and written inside the work
 * tree only, YAML is checked before a commit, and pushes are fast-forward only. When the server has moved on, the
 * caller chooses between `fetchAndReapply` (the local commits re-applied on the new head, or a conflict reported with
 * the edits kept) and `abort` (back to the server's head, with a backup of the edits). Operations on one work tree
 * run one at a time. The clone lives under `<dataDir>/workspaces`, apart from the controllers' git cache.
 */

export interface WorkspaceSpec {
  /** The GitRepository's `spec.url` (http, https or ssh). */
  url: string;
  branch: string;
  /**
   * When the server has no such branch (an empty repository, or a branch still to be made), start it instead of
   * failing with `not-found`: the branch is unborn, the first commit creates it (with no parent, as `flux bootstrap`
   * does) and the push creates it on the server. For bootstrap; the editor opens existing branches only.
   */
  startBranch?: boolean;
}

export interface WorkspaceOptions extends RemoteOptions {
  /** The folder holding every work tree, e.g. `<dataDir>/workspaces`. */
  root: string;
  /** HTTPS basic or bearer auth, or an SSH key (main/sources/git/git-auth.ts shapes). Never logged. */
  auth?: GitAuth;
  /** Commits of history fetched on clone (default 1: the tip only). */
  depth?: number;
  /** Who commits when `commit` is given no author (default: the user's git config). */
  identity?: () => Promise<GitIdentity | undefined>;
}

/**
 * One caller's network operation (a clone, fetch or push) that it may give up on: `signal` aborts that operation
 * only, its request included, unlike {@link RemoteOptions.signal}, which ends every operation of the work tree.
 */
export interface NetworkCall {
  signal?: AbortSignal;
}

export interface WorkspaceStatus {
  branch: string;
  /** '' while the branch has no commit yet (cloned from an empty repository or a branch the server lacks). */
  head: string;
  /** The server's branch as last fetched; '' when the server has no such branch (yet). */
  remoteHead: string;
  /** Local commits the server does not have yet. */
  ahead: number;
  /** Uncommitted changes. */
  changes: FileChange[];
}

export type CommitResult =
  | { status: 'committed'; commit: string; files: FileChange[] }
  /** Invalid YAML in a changed file blocks the commit. */
  | { status: 'invalid'; problems: YamlProblem[] }
  | { status: 'nothing-to-commit' };

export type PushResult =
  | { status: 'pushed'; commit: string }
  | { status: 'up-to-date'; commit: string }
  /** Someone pushed first: offer `fetchAndReapply` or `abort`. The local commit is kept. */
  | { status: 'remote-moved'; commit: string; message: string }
  /** The server refused (credentials, a hook, branch protection) or could not be reached. The local commit is kept. */
  | { status: 'rejected'; commit: string; reason: 'auth' | 'hook' | 'network'; message: string };

export type ReapplyResult =
  /** The server had nothing new. */
  | { status: 'up-to-date'; head: string }
  /** There were no local commits: the work tree now matches the server. */
  | { status: 'fast-forwarded'; head: string }
  /** `overwritten`: files both sides changed where `keepMine` kept the local version (the server's edits dropped). */
  | { status: 'reapplied'; head: string; onto: string; commits: number; overwritten: string[] }
  /** The server changed the same lines: nothing moved, the local commits and edits are as they were. */
  | { status: 'conflict'; head: string; onto: string; files: string[]; message: string };

export interface WorkspaceBackup {
  /** A folder with the edited files as they were, and `backup.json` describing them. */
  dir: string;
  files: FileChange[];
  commits: { oid: string; message: string }[];
  /** A ref in the work tree keeping the discarded commits (`git log <ref>` shows them). */
  ref?: string;
}

export interface AbortResult {
  status: 'aborted';
  head: string;
  /** Whether the server could be asked for its latest head (else the last one fetched is used). */
  fetched: boolean;
  /** Absent when there was nothing local to discard. */
  backup?: WorkspaceBackup;
}

export type UpdateResult =
  | { status: 'up-to-date' | 'fast-forwarded'; head: string }
  /** Local commits or edits: nothing was moved (use `fetchAndReapply` after committing, or `abort`). */
  | { status: 'local-changes'; head: string; remoteHead: string; ahead: number; changes: number };

export type { FileChange } from './work-tree-changes.ts';

const BACKUP_REF_PREFIX = 'refs/fluxdeck/backups/';
const REAPPLY_REF = 'refs/fluxdeck/before-reapply';
const MAX_LOCAL_COMMITS = 1000;
/**
 * The head of a branch without commits: unborn locally (a clone of an empty repository, or of a branch the server
 * does not have yet), or absent on the server. Results report it as '' too.
 */
const NO_COMMIT = '';

async function resolveOrNone(dir: string, ref: string): Promise<string> {
  try {
    return await git.resolveRef({ fs, dir, ref });
  } catch (err) {
    if ((err as { code?: string }).code === 'NotFoundError') return NO_COMMIT;
    throw err;
  }
}

/** How long after a clone its work tree counts as just fetched (see `takeFreshClone`). */
const FRESH_CLONE_MS = 5_000;

const stamp = (d = new Date()): string =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

export class Workspace {
  readonly dir: string;
  readonly branch: string;
  /** The URL without credentials. */
  readonly url: string;
  readonly #gitUrl: GitUrl;
  readonly #opts: WorkspaceOptions;
  #remote: GitRemote;
  #auth: GitAuth | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #cache = {};
  /**
   * Paths that may differ from HEAD: written or deleted through this object since the last full scan. Undefined
   * means unknown (just opened, or a rescan was asked for): the next status scans the whole tree. With thousands of
   * files a full scan costs most of a second in isomorphic-git; an edit cycle then only looks at what it touched.
   */
  #touched: Set<string> | undefined;
  /** See {@link WorkspaceSpec.startBranch}. */
  #startBranch = false;
  /** When this object's clone ended (performance.now()), until {@link takeFreshClone} reads it. */
  #clonedAt: number | undefined;

  private constructor(dir: string, url: GitUrl, branch: string, opts: WorkspaceOptions) {
    this.dir = dir;
    this.branch = branch;
    this.url = url.display;
    this.#gitUrl = url;
    this.#opts = opts;
    this.#auth = opts.auth;
    this.#remote = gitRemote(url, opts.auth, opts);
  }

  /**
   * Opens the work tree of `spec`, cloning it first if there is none yet (a partial clone never stays behind).
   * `signal` stops that clone only (see {@link NetworkCall}); `opts.signal` stays the work tree's lifetime signal.
   */
  static async open(spec: WorkspaceSpec, opts: WorkspaceOptions, call: NetworkCall = {}): Promise<Workspace> {
    const url = parseGitUrl(spec.url);
    if (!/^[^\s~^:?*[\\]+$/.test(spec.branch) || spec.branch.includes('..') || spec.branch.startsWith('-'))
      throw new WorkspaceError('invalid-argument', `'${spec.branch}' is not a branch name`);
    const dir = join(opts.root, workspaceDirName(url, spec.branch));
    const ws = new Workspace(dir, url, spec.branch, opts);
    ws.#startBranch = spec.startBranch ?? false;
    await ws.#ensureClone(call.signal);
    return ws;
  }

  /**
   * True, once, when this object cloned the work tree moments ago. An update right after the clone would only find
   * what the clone has just fetched, and costs a round trip or two to the server (opening a work tree did both).
   */
  takeFreshClone(): boolean {
    const fresh = this.#clonedAt !== undefined && performance.now() - this.#clonedAt < FRESH_CLONE_MS;
    this.#clonedAt = undefined;
    return fresh;
  }

  /** Replaces the credentials (e.g. after the user entered a new token). */
  setAuth(auth: GitAuth | undefined): void {
    this.#auth = auth;
    this.#remote = gitRemote(this.#gitUrl, auth, this.#opts);
  }

  /** Every file in the work tree (tracked, and new ones not ignored by .gitignore), `/`-separated, sorted. */
  files(): Promise<string[]> {
    return this.#exclusive(async () => {
      // The index holds HEAD's files (edits are staged only when committing); the changes add and remove the rest.
      const files = new Set(await git.listFiles({ fs, dir: this.dir, cache: this.#cache }));
      for (const c of await this.#changes()) {
        if (c.change === 'deleted') files.delete(c.path);
        else files.add(c.path);
      }
      return [...files].sort();
    });
  }

  readFile(path: string): Promise<string> {
    return this.#exclusive(async () => {
      const abs = await resolveInWorkTree(this.dir, path, 'read');
      try {
        return await readFile(abs, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new WorkspaceError('not-found', `${path} does not exist in the work tree`);
        if (code === 'EISDIR') throw new WorkspaceError('invalid-argument', `${path} is a directory`);
        throw new WorkspaceError('git', `cannot read ${path}: ${errorMessage(err)}`, { cause: err });
      }
    });
  }

  /** Writes a file (creating its folders). Nothing is committed until `commit`. */
  writeFile(path: string, content: string): Promise<void> {
    return this.#exclusive(async () => {
      const abs = await resolveInWorkTree(this.dir, path, 'write');
      if ((await stat(abs).catch(() => undefined))?.isDirectory())
        throw new WorkspaceError('invalid-argument', `${path} is a directory`);
      try {
        await mkdir(dirname(abs), { recursive: true });
        // The folders just made may not lead elsewhere either (a symlink created meanwhile).
        await resolveInWorkTree(this.dir, path, 'write');
        await writeFile(abs, content);
      } catch (err) {
        if (err instanceof WorkspaceError) throw err;
        const why =
          (err as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'a part of the path is a file' : errorMessage(err);
        throw new WorkspaceError('invalid-argument', `cannot write ${path}: ${why}`, { cause: err });
      }
      this.#touched?.add(workTreeSegments(path).join('/'));
    });
  }

  deleteFile(path: string): Promise<void> {
    return this.#exclusive(async () => {
      const abs = await resolveInWorkTree(this.dir, path, 'write');
      try {
        await rm(abs);
        this.#touched?.add(workTreeSegments(path).join('/'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT')
          throw new WorkspaceError('not-found', `${path} does not exist in the work tree`);
        throw new WorkspaceError('git', `cannot delete ${path}: ${errorMessage(err)}`, { cause: err });
      }
    });
  }

  /** `rescan` looks at every file, to see edits made outside this object (by another program). */
  status(opts: { rescan?: boolean } = {}): Promise<WorkspaceStatus> {
    return this.#exclusive(() => {
      if (opts.rescan) this.#touched = undefined;
      return this.#status();
    });
  }

  /** YAML errors in the changed `.yaml`/`.yml` files (or in `paths`), with line and column. */
  validate(paths?: readonly string[]): Promise<YamlProblem[]> {
    return this.#exclusive(async () => this.#validate(paths ?? (await this.#changes()).map((c) => c.path)));
  }

  /** Commits every change (new, edited and deleted files) after checking the YAML; the author defaults to git config. */
  commit(opts: { message: string; author?: GitIdentity }): Promise<CommitResult> {
    return this.#exclusive(async () => {
      if (opts.message.trim() === '') throw new WorkspaceError('invalid-argument', 'a commit needs a message');
      const changes = await this.#changes();
      if (changes.length === 0) return { status: 'nothing-to-commit' };
      const problems = await this.#validate(changes.map((c) => c.path));
      if (problems.length > 0) return { status: 'invalid', problems };
      const author = opts.author ?? (await this.#identity());
      if (!author)
        throw new WorkspaceError(
          'no-identity',
          'no commit author: set user.name and user.email in your git config (git config --global user.name ...), or give an author',
        );
      const head = await this.#head();
      const commit = await this.#withStore((store) =>
        commitTree(store, { dir: this.dir, branch: this.branch, head, changes, message: opts.message, author }),
      );
      this.#touched = new Set();
      return { status: 'committed', commit, files: changes };
    });
  }

  /** Pushes the local commits (never forced). A refused push keeps the local commit and says why. */
  push(call: NetworkCall = {}): Promise<PushResult> {
    return this.#exclusive(async () => {
      const head = await this.#head();
      if (head === (await this.#remoteHead())) return { status: 'up-to-date', commit: head };
      const outcome = await this.#remoteFor(call.signal).push(this.dir, head, this.branch, { cache: this.#cache });
      if (outcome.status !== 'pushed') return { ...outcome, commit: head };
      await git.writeRef({ fs, dir: this.dir, ref: `refs/remotes/origin/${this.branch}`, value: head, force: true });
      return { status: 'pushed', commit: head };
    }, call.signal);
  }

  /**
   * Fetches the server's branch and re-applies the local commits on top of it, one by one (a cherry-pick with a
   * three-way merge per file). On a conflict everything is put back as it was and the files are named. With
   * `keepMine`, a commit that conflicts is re-applied keeping the local version of every file both sides changed
   * (listed in `overwritten`): the user's explicit "keep my version" after seeing the conflict.
   */
  fetchAndReapply(opts: { keepMine?: boolean } & NetworkCall = {}): Promise<ReapplyResult> {
    return this.#exclusive(async () => {
      const dirty = await this.#changes();
      if (dirty.length > 0)
        throw new WorkspaceError(
          'dirty',
          `commit or discard the uncommitted edits first (${dirty.map((c) => c.path).join(', ')})`,
        );
      const local = await this.#head();
      const remote = (await this.#remoteFor(opts.signal).fetch(this.dir, this.branch, this.#cache)) ?? NO_COMMIT;
      const base = await this.#mergeBase(local, remote);
      if (base === remote) return { status: 'up-to-date', head: local };
      const mine = await this.#commitsSince(base, local);
      if (mine.length === 0) {
        await this.#moveTo(remote);
        return { status: 'fast-forwarded', head: remote };
      }
      await git.writeRef({ fs, dir: this.dir, ref: REAPPLY_REF, value: local, force: true });
      await this.#moveTo(remote);
      const overwritten = new Set<string>();
      for (const commit of mine) {
        try {
          await this.#pick(commit.oid, opts.keepMine ? overwritten : undefined);
        } catch (err) {
          await this.#moveTo(local);
          const e = err as { code?: string; data?: { filepaths?: string[] } };
          if (e.code !== 'MergeConflictError') throw new WorkspaceError('git', errorMessage(err), { cause: err });
          const files = e.data?.filepaths ?? [];
          return {
            status: 'conflict',
            head: local,
            onto: remote,
            files,
            message: `the server changed ${files.join(', ')} too, in a way that conflicts with "${commit.message}": your commits and edits are kept as they were; keep your version of these files, or abort to start from the server's version`,
          };
        }
      }
      return {
        status: 'reapplied',
        head: await this.#head(),
        onto: remote,
        commits: mine.length,
        overwritten: [...overwritten].sort(),
      };
    }, opts.signal);
  }

  /**
   * Gives up the local commits and edits: the work tree goes back to the server's head (fetched first when
   * possible). Nothing is lost: the edited files are copied to a backup folder and the commits kept under a ref.
   */
  abort(): Promise<AbortResult> {
    return this.#exclusive(async () => {
      let fetched = true;
      const remote =
        (await this.#remote.fetch(this.dir, this.branch, this.#cache).catch(async () => {
          fetched = false;
          return this.#remoteHead();
        })) ?? NO_COMMIT;
      if (remote === NO_COMMIT)
        throw new WorkspaceError(
          'invalid-argument',
          `${this.url} has no branch ${this.branch} yet: there is no server version to go back to; push to create it, or delete the work tree`,
        );
      const local = await this.#head();
      const base = await this.#mergeBase(local, remote);
      const commits = base === local ? [] : await this.#commitsSince(base, local);
      const dirty = await this.#changes();
      const committed = commits.length > 0 ? await this.#changedPaths(base, local) : [];
      const files = mergeChanges(committed, dirty);
      const backup = files.length > 0 ? await this.#backUp(files, commits, local) : undefined;
      await this.#moveTo(remote);
      // Files only the local side had stay behind untracked after the checkout: remove them (they are backed up).
      const ours = new Set(files.filter((f) => f.change === 'added').map((f) => f.path));
      for (const c of await this.#changes())
        if (c.change === 'added' && ours.has(c.path)) await rm(join(this.dir, c.path), { force: true });
      return { status: 'aborted', head: remote, fetched, ...(backup ? { backup } : {}) };
    });
  }

  /** Fetches and moves to the server's head when there is nothing local (call when opening the editor). */
  update(call: NetworkCall = {}): Promise<UpdateResult> {
    return this.#exclusive(async () => {
      const remote = (await this.#remoteFor(call.signal).fetch(this.dir, this.branch, this.#cache)) ?? NO_COMMIT;
      const local = await this.#head();
      if (local === remote) return { status: 'up-to-date', head: local };
      const base = await this.#mergeBase(local, remote);
      const ahead = base === local ? 0 : (await this.#commitsSince(base, local)).length;
      const changes = (await this.#changes()).length;
      if (ahead > 0 || changes > 0) return { status: 'local-changes', head: local, remoteHead: remote, ahead, changes };
      await this.#moveTo(remote);
      return { status: 'fast-forwarded', head: remote };
    }, call.signal);
  }

  /** Runs `fn` after every operation queued before it; not at all if `signal` aborted while it waited its turn. */
  #exclusive<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const turn = (): Promise<T> => {
      signal?.throwIfAborted();
      return fn();
    };
    const run = this.#queue.then(turn, turn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The remote for one operation: the work tree's own, or one that also stops when the caller's `signal` aborts. */
  #remoteFor(signal: AbortSignal | undefined): GitRemote {
    if (!signal) return this.#remote;
    const lifetime = this.#opts.signal;
    return gitRemote(this.#gitUrl, this.#auth, {
      ...this.#opts,
      signal: lifetime ? AbortSignal.any([lifetime, signal]) : signal,
    });
  }

  async #ensureClone(signal?: AbortSignal): Promise<void> {
    if (await this.#isRepository()) return;
    if (fs.existsSync(this.dir)) {
      // Not a usable repository (damaged, or not ours): keep it for the user rather than deleting anything.
      await rename(this.dir, `${this.dir}.broken-${stamp()}`);
    }
    const tmp = `${this.dir}.cloning-${randomBytes(4).toString('hex')}`;
    await mkdir(dirname(tmp), { recursive: true });
    try {
      await this.#remoteFor(signal).clone(tmp, this.branch, this.#opts.depth ?? 1, this.#startBranch);
      await rename(tmp, this.dir);
      // A fresh checkout equals HEAD: the first status need not hash the whole tree to find that out.
      this.#touched = new Set();
      this.#clonedAt = performance.now();
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  async #isRepository(): Promise<boolean> {
    try {
      await git.resolveRef({ fs, dir: this.dir, ref: `refs/heads/${this.branch}` });
      return true;
    } catch {
      // A branch still to be created (cloned from an empty repository): HEAD names it, and it has no commit yet.
      const current = await git.currentBranch({ fs, dir: this.dir }).catch(() => undefined);
      return current === this.branch;
    }
  }

  /** The branch's commit, or NO_COMMIT while it is unborn. */
  #head(): Promise<string> {
    return resolveOrNone(this.dir, `refs/heads/${this.branch}`);
  }

  /** The server's commit as last fetched, or NO_COMMIT when the server has no such branch. */
  #remoteHead(): Promise<string> {
    return resolveOrNone(this.dir, `refs/remotes/origin/${this.branch}`);
  }

  #identity(): Promise<GitIdentity | undefined> {
    return (this.#opts.identity ?? (() => userGitIdentity(this.dir)))();
  }

  async #status(): Promise<WorkspaceStatus> {
    const [head, remoteHead, changes] = await Promise.all([this.#head(), this.#remoteHead(), this.#changes()]);
    return { branch: this.branch, head, remoteHead, ahead: await this.#ahead(head, remoteHead), changes };
  }

  /** Reads objects with native zlib (the store is opened per operation: fetches add packs). */
  async #withStore<T>(fn: (store: ObjectStore) => Promise<T>): Promise<T> {
    const store = new ObjectStore(join(this.dir, '.git'));
    try {
      return await fn(store);
    } finally {
      store.close();
    }
  }

  /** Local commits the server lacks: usually a walk back to the server's head; else from the merge base. */
  async #ahead(head: string, remoteHead: string): Promise<number> {
    if (head === remoteHead) return 0;
    const after = await this.#withStore((store) => Promise.resolve(commitsAfter(store, head, remoteHead)));
    if (after) return after.length;
    const base = await this.#mergeBase(head, remoteHead);
    return base === head ? 0 : (await this.#commitsSince(base, head)).length;
  }

  async #changes(): Promise<FileChange[]> {
    if (this.#touched?.size === 0) return [];
    if (this.#touched) {
      const head = await this.#head();
      const touched = this.#touched;
      const out = await this.#withStore((store) => changesAt(store, this.dir, head, touched));
      this.#touched = new Set(out.map((c) => c.path));
      return out;
    }
    const head = await this.#head();
    const out = await this.#withStore((store) => changesAll(store, this.dir, head)).catch((err: unknown) => {
      if (
        err instanceof SubmoduleFound ||
        err instanceof IndexFormatError ||
        (err as { code?: string }).code === 'ENOENT'
      )
        return this.#statusMatrix();
      throw err;
    });
    this.#touched = new Set(out.map((c) => c.path));
    return out;
  }

  /** The full scan for what changesAll does not read (submodules, an index it cannot parse, no index yet). */
  async #statusMatrix(): Promise<FileChange[]> {
    const out: FileChange[] = [];
    const matrix = await git.statusMatrix({ fs, dir: this.dir, cache: this.#cache });
    for (const [path, head, workdir] of matrix) {
      if (head === 0 && workdir === 2) out.push({ path, change: 'added' });
      else if (head === 1 && workdir === 0) out.push({ path, change: 'deleted' });
      else if (head === 1 && workdir === 2) out.push({ path, change: 'modified' });
    }
    return out;
  }

  async #validate(paths: readonly string[]): Promise<YamlProblem[]> {
    const problems: YamlProblem[] = [];
    for (const path of paths.filter(isYamlPath)) {
      const abs = await resolveInWorkTree(this.dir, path, 'read');
      const text = await readFile(abs, 'utf8').catch(() => undefined);
      if (text !== undefined) problems.push(...checkYaml(path, text));
    }
    return problems;
  }

  async #mergeBase(a: string, b: string): Promise<string> {
    if (a === b) return a;
    // A side without commits shares nothing: everything on the other side is its own.
    if (a === NO_COMMIT || b === NO_COMMIT) return NO_COMMIT;
    const [base] = (await git.findMergeBase({ fs, dir: this.dir, oids: [a, b], cache: this.#cache })) as string[];
    if (!base)
      throw new WorkspaceError(
        'git',
        `cannot tell which commits of ${this.branch} are local: the server's history no longer shares one with the work tree; abort to start again from the server's head`,
      );
    return base;
  }

  /** Commits after `base` up to `tip`, oldest first. */
  async #commitsSince(base: string, tip: string): Promise<{ oid: string; message: string }[]> {
    if (tip === NO_COMMIT) return [];
    const log = await git.log({ fs, dir: this.dir, ref: tip, depth: MAX_LOCAL_COMMITS, cache: this.#cache });
    const end = base === NO_COMMIT ? log.length : log.findIndex((c) => c.oid === base);
    if (end < 0)
      throw new WorkspaceError('git', `the local commits of ${this.branch} do not lead back to ${base.slice(0, 7)}`);
    return log
      .slice(0, end)
      .reverse()
      .map((c) => ({ oid: c.oid, message: c.commit.message.trim() }));
  }

  async #changedPaths(from: string, to: string): Promise<FileChange[]> {
    const out: FileChange[] = [];
    await git.walk({
      fs,
      dir: this.dir,
      cache: this.#cache,
      trees: [git.TREE({ ref: from }), git.TREE({ ref: to })],
      map: async (path, [a, b]) => {
        if (path === '.') return true;
        const [oa, ob] = await Promise.all([a?.oid(), b?.oid()]);
        if (oa === ob) return null;
        const [ta, tb] = await Promise.all([a?.type(), b?.type()]);
        if (ta === 'tree' || tb === 'tree') return true;
        out.push({ path, change: !a ? 'added' : !b ? 'deleted' : 'modified' });
        return true;
      },
    });
    return out.sort((x, y) => x.path.localeCompare(y.path));
  }

  async #backUp(
    files: FileChange[],
    commits: { oid: string; message: string }[],
    local: string,
  ): Promise<WorkspaceBackup> {
    const id = stamp();
    const dir = join(this.#opts.root, '.backups', `${this.dir.split(/[\\/]/).pop() ?? 'workspace'}-${id}`);
    for (const f of files) {
      if (f.change === 'deleted') continue;
      const target = join(dir, f.path);
      await mkdir(dirname(target), { recursive: true });
      await fs.promises.copyFile(await resolveInWorkTree(this.dir, f.path, 'read'), target);
    }
    let ref: string | undefined;
    if (commits.length > 0) {
      ref = `${BACKUP_REF_PREFIX}${id}`;
      await git.writeRef({ fs, dir: this.dir, ref, value: local, force: true });
    }
    const record = {
      url: this.url,
      branch: this.branch,
      createdAt: new Date().toISOString(),
      head: local,
      ref,
      commits,
      files,
    };
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'backup.json'), `${JSON.stringify(record, null, 2)}\n`);
    return { dir, files, commits, ...(ref ? { ref } : {}) };
  }

  /**
   * Cherry-picks one commit onto HEAD. With `keepMine`, a conflict is retried with a merge driver that takes the
   * picked (local) side of every file both sides changed, recording those files.
   */
  async #pick(oid: string, keepMine: Set<string> | undefined): Promise<void> {
    const picked = await git.readCommit({ fs, dir: this.dir, oid, cache: this.#cache });
    const committer = (await this.#identity()) ?? picked.commit.author;
    const pick = (mergeDriver?: MergeDriverCallback): Promise<string> =>
      git.cherryPick({
        fs,
        dir: this.dir,
        oid,
        committer,
        cache: this.#cache,
        ...(mergeDriver ? { mergeDriver } : {}),
      });
    try {
      await pick();
    } catch (err) {
      if (!keepMine || (err as { code?: string }).code !== 'MergeConflictError') throw err;
      // The driver runs for every file both sides changed (it is given only the file's name, so the paths are
      // worked out here): the base, the server's head and the commit being re-applied all differ there.
      const parent = picked.commit.parent[0] ?? '';
      const head = await this.#head();
      const paths = async (a: string, b: string): Promise<Set<string>> =>
        new Set((await this.#changedPaths(a, b)).map((c) => c.path));
      const [mine, theirs, differ] = await Promise.all([paths(parent, oid), paths(parent, head), paths(head, oid)]);
      for (const path of mine) if (theirs.has(path) && differ.has(path)) keepMine.add(path);
      // contents: [base, ours (the server's head), theirs (the commit being re-applied: the user's)].
      await pick(({ contents }) => ({ cleanMerge: true, mergedText: contents[2] ?? '' }));
    }
  }

  /** Points the branch at `oid` and makes the index and files match it. */
  async #moveTo(oid: string): Promise<void> {
    await git.writeRef({ fs, dir: this.dir, ref: `refs/heads/${this.branch}`, value: oid, force: true });
    await git.checkout({ fs, dir: this.dir, ref: this.branch, force: true, cache: this.#cache });
    // Tracked files now match `oid`; only paths that already differed (say, new untracked files) still may. So the
    // set of paths to look at stays what it was.
  }
}

/** Committed and uncommitted changes of one path combined (what the path looks like now versus the base). */
function mergeChanges(committed: FileChange[], dirty: FileChange[]): FileChange[] {
  const byPath = new Map(committed.map((c) => [c.path, c]));
  for (const d of dirty) {
    const c = byPath.get(d.path);
    if (!c) byPath.set(d.path, d);
    else if (d.change === 'deleted') {
      if (c.change === 'added') byPath.delete(d.path);
      else byPath.set(d.path, { path: d.path, change: 'deleted' });
    } else if (c.change === 'deleted') byPath.set(d.path, { path: d.path, change: 'modified' });
  }
  return [...byPath.values()].sort((x, y) => x.path.localeCompare(y.path));
}
