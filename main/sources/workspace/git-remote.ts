import * as fs from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

import git from 'isomorphic-git';

import type { GitAuth, HttpAuth, SshAuth } from '../git/git-auth.ts';
import { type GitUrl, parseGitUrl } from '../git/git-url.ts';
import { createHttpClient } from '../git/http-client.ts';
import { ObjectStore } from '../git/object-store.ts';
import { commitsAfter, objectsOfCommits } from '../git/push-objects.ts';
import {
  advertisedRefs,
  type GitObjectData,
  PushRefusedError,
  type PushTarget,
  receivePack,
  REF_MOVED,
} from '../git/receive-pack.ts';
import { classifySsh, runGitOverSsh, sshRemote } from '../git/ssh-transport.ts';
import { cloneBranch } from './shallow-clone.ts';
import { WorkspaceError } from './workspace-error.ts';

/**
 * The network half of a work tree: clone, fetch and push of one branch. Over http(s) a depth-1 clone is
 * shallow-clone.ts (protocol v2, native zlib), a push sends exactly the new objects with receive-pack.ts, and the rest
 * is isomorphic-git, all with our HTTP client (credentials sent pre-emptively, custom CA, abortable). isomorphic-git
 * has no SSH transport, so ssh:// remotes use the system `git` and OpenSSH with only the given key and
 * `known_hosts`, as the GitRepository fetch does (see "Git over SSH" in the top-level README). Pushes are never
 * forced.
 */

export type PushOutcome =
  | { status: 'pushed' }
  /** The branch on the server is not an ancestor of ours: someone pushed first. */
  | { status: 'remote-moved'; message: string }
  /**
   * The server refused: `auth` (credentials), `hook` (a pre-receive or update hook, branch protection), or
   * `network` (unreachable, server error). Nothing changed on either side.
   */
  | { status: 'rejected'; reason: 'auth' | 'hook' | 'network'; message: string };

export interface GitRemote {
  /**
   * Clones the branch into `dir`. When the server has no such branch (an empty repository, or a branch still to be
   * created): with `startBranch`, `dir` becomes a repository whose branch is unborn, with `origin` set (the first
   * commit creates the branch and the push creates it on the server, as `flux bootstrap` does); without it, a
   * WorkspaceError('not-found').
   */
  clone(dir: string, branch: string, depth: number, startBranch?: boolean): Promise<void>;
  /**
   * Fetches the branch into `refs/remotes/origin/<branch>` and returns its commit, or undefined when the server has
   * no such branch (the tracking ref is then removed). `cache` is the work tree's isomorphic-git cache: without it
   * every call reads and copies the whole pack again.
   */
  fetch(dir: string, branch: string, cache?: object): Promise<string | undefined>;
  /**
   * Pushes `oid` to the branch (fast-forward only). `options` are `git push -o` options; only the ssh:// remote (the
   * git CLI) sends them, http(s) refuses them (image automation pushes over HTTP with receive-pack.ts instead).
   */
  push(dir: string, oid: string, branch: string, extra?: PushExtras): Promise<PushOutcome>;
}

export interface PushExtras {
  /** The work tree's isomorphic-git cache. */
  cache?: object;
  /** `git push -o` options. */
  options?: readonly string[];
}

export interface RemoteOptions {
  /** Aborts every network operation from now on (an app-lifetime signal, not a per-request one). */
  signal?: AbortSignal;
  /** Per network operation (default 60 s). */
  timeoutMs?: number;
}

const trackingRef = (branch: string): string => `refs/remotes/origin/${branch}`;

/** A repository with `branch` unborn and `origin` set, as `git clone` of an empty repository leaves it. */
async function initUnborn(
  dir: string,
  branch: string,
  o: { url: GitUrl; remote: string; start: boolean },
): Promise<void> {
  const { url, remote, start } = o;
  if (!start) throw new WorkspaceError('not-found', `${url.display} has no branch ${branch}; check the branch name`);
  await rm(dir, { recursive: true, force: true });
  await git.init({ fs, dir, defaultBranch: branch });
  for (const [path, value] of [
    ['remote.origin.url', remote],
    ['remote.origin.fetch', `+refs/heads/${branch}:${trackingRef(branch)}`],
    [`branch.${branch}.remote`, 'origin'],
    [`branch.${branch}.merge`, `refs/heads/${branch}`],
  ] as const)
    await git.setConfig({ fs, dir, path, value });
}

/** The server has no such branch: forget what we knew of it. */
async function branchGone(dir: string, branch: string): Promise<undefined> {
  await git.deleteRef({ fs, dir, ref: trackingRef(branch) }).catch(() => undefined);
  return undefined;
}

const isNotFound = (err: unknown): boolean => (err as { code?: string }).code === 'NotFoundError';

export function gitRemote(url: GitUrl, auth: GitAuth | undefined, opts: RemoteOptions = {}): GitRemote {
  if (url.protocol === 'ssh') {
    if (auth?.kind !== 'ssh')
      throw new WorkspaceError(
        'auth',
        `${url.display} is an ssh:// URL: give an SSH key (identity and known_hosts) to clone and push it`,
      );
    return sshRemoteOps(url, auth, opts);
  }
  if (auth?.kind === 'ssh')
    throw new WorkspaceError('auth', `${url.display} is not an ssh:// URL, but the credentials given are an SSH key`);
  return httpRemote(url, auth, opts);
}

const signalFor = (opts: RemoteOptions): AbortSignal => {
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 60_000);
  return opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
};

function httpRemote(url: GitUrl, auth: HttpAuth | undefined, opts: RemoteOptions): GitRemote {
  const headers: Record<string, string> = auth?.authorization ? { authorization: auth.authorization } : {};
  const client = (): ReturnType<typeof createHttpClient> =>
    createHttpClient({
      headers,
      signal: signalFor(opts),
      ...(auth?.caCert ? { caCert: auth.caCert } : {}),
    });
  const base = { fs, url: url.display, remote: 'origin' };
  const fail = (what: string, err: unknown): WorkspaceError => classifyHttp(what, url, err);
  return {
    async clone(dir, branch, depth, start = false) {
      try {
        if (depth === 1 && (await cloneBranch(dir, url.display, branch, client())) === 'cloned') return;
        const refs = await git.listServerRefs({ http: client(), url: url.display, prefix: `refs/heads/${branch}` });
        if (!refs.some((r) => r.ref === `refs/heads/${branch}`))
          return await initUnborn(dir, branch, { url, remote: url.display, start });
        await rm(dir, { recursive: true, force: true });
        await git.clone({ ...base, http: client(), dir, ref: branch, singleBranch: true, depth, noTags: true });
      } catch (err) {
        if (err instanceof WorkspaceError) throw err;
        if (isNotFound(err)) return initUnborn(dir, branch, { url, remote: url.display, start });
        throw fail(`cannot clone branch ${branch} of`, err);
      }
    },
    async fetch(dir, branch, cache) {
      try {
        const result = await git.fetch({
          ...base,
          http: client(),
          dir,
          ref: branch,
          singleBranch: true,
          tags: false,
          ...(cache && { cache }),
        });
        if (!result.fetchHead) return await branchGone(dir, branch);
        // isomorphic-git updates the tracking ref only when it moves forward; a force-pushed branch must win too.
        await git.writeRef({ fs, dir, ref: trackingRef(branch), value: result.fetchHead, force: true });
        return result.fetchHead;
      } catch (err) {
        if (isNotFound(err)) return branchGone(dir, branch);
        throw fail(`cannot fetch branch ${branch} of`, err);
      }
    },
    async push(dir, oid, branch, { cache, options } = {}) {
      if (options?.length)
        throw new WorkspaceError('invalid-argument', 'push options are not supported by the http(s) work tree push');
      try {
        const pushed = await pushNewObjects({ http: client(), url: url.display, headers }, dir, oid, branch);
        if (pushed) return pushed;
      } catch (err) {
        return pushFailure(url, branch, err);
      }
      // What hooks print reaches us as side-band `remote:` messages: keep them for the rejection message.
      const said: string[] = [];
      try {
        await git.push({
          ...base,
          http: client(),
          dir,
          ...(cache && { cache }),
          ref: oid,
          remoteRef: `refs/heads/${branch}`,
          force: false,
          onMessage: (m) => void said.push(m.trim()),
        });
        return { status: 'pushed' };
      } catch (err) {
        return pushFailure(url, branch, err, said.filter(Boolean).join(' '));
      }
    },
  };
}

/**
 * The push of the commits after the server's head, with exactly the objects they add (push-objects.ts) and the ref
 * expected where the server advertised it (so it is never overwritten if it moves meanwhile). isomorphic-git's push
 * lists every object of both trees to find the new ones (90 ms of a 5,000-file work tree's edit cycle, bench
 * workspace). Undefined when this cannot tell what the server lacks (the branch is not on the server, or the way
 * back to it holds a merge or passes the shallow end): isomorphic-git's push does it then.
 */
async function pushNewObjects(
  target: PushTarget,
  dir: string,
  oid: string,
  branch: string,
): Promise<PushOutcome | undefined> {
  const ref = `refs/heads/${branch}`;
  const { refs, capabilities } = await advertisedRefs(target);
  const server = refs.get(ref);
  if (!server) return undefined;
  // Already there (an earlier push whose answer was lost): nothing to send.
  if (server === oid) return { status: 'pushed' };
  const store = new ObjectStore(join(dir, '.git'));
  let objects: GitObjectData[];
  try {
    // A server head we do not have is a commit someone else pushed.
    if (!store.has(server)) return pushFailure(parseGitUrl(target.url), branch, { code: 'PushRejectedError' });
    const commits = commitsAfter(store, oid, server);
    if (!commits) return undefined;
    objects = objectsOfCommits(store, commits);
  } finally {
    store.close();
  }
  const result = await receivePack({ ...target, capabilities }, { updates: [{ ref, old: server, new: oid }], objects });
  const outcome = result.refs.get(ref) ?? { ok: false as const, reason: 'no report from the server' };
  if (outcome.ok) return { status: 'pushed' };
  const data = { result: { refs: { [ref]: { ok: false, error: outcome.reason } } } };
  return pushFailure(parseGitUrl(target.url), branch, { code: 'GitPushError', data }, result.messages.join(' '));
}

interface GitErrorLike {
  code?: string;
  data?: { statusCode?: number; reason?: string; result?: { refs?: Record<string, { ok: boolean; error?: string }> } };
  message?: string;
}

function pushFailure(url: GitUrl, branch: string, err: unknown, said = ''): PushOutcome {
  const e = err as GitErrorLike;
  const moved = (): PushOutcome => ({
    status: 'remote-moved',
    message: `branch ${branch} of ${url.display} has commits you do not have yet: fetch them and re-apply your change, or abort it`,
  });
  if (e.code === 'PushRejectedError') return moved();
  if (err instanceof PushRefusedError)
    return { status: 'rejected', reason: 'hook', message: `${url.display}: ${err.message}; your commit is kept` };
  if (e.code === 'GitPushError') {
    const refs = Object.values(e.data?.result?.refs ?? {});
    const why = refs.find((r) => !r.ok)?.error ?? e.message ?? 'rejected';
    if (REF_MOVED.test(why)) return moved();
    return {
      status: 'rejected',
      reason: 'hook',
      message: `${url.display} refused the push to ${branch}: ${why.trim()}${said ? ` (${said})` : ''}; your commit is kept`,
    };
  }
  const failure = classifyHttp(`cannot push to branch ${branch} of`, url, err);
  return {
    status: 'rejected',
    reason: failure.code === 'auth' ? 'auth' : 'network',
    message: `${failure.message}; your commit is kept`,
  };
}

function classifyHttp(what: string, url: GitUrl, err: unknown): WorkspaceError {
  if (err instanceof WorkspaceError) return err;
  const e = err as GitErrorLike & { name?: string; cause?: { code?: string } };
  const status = e.code === 'HttpError' ? e.data?.statusCode : undefined;
  if (status === 401 || status === 403) {
    return new WorkspaceError(
      'auth',
      `${what} ${url.display}: authentication failed (HTTP ${status}); check the username and password or token, and that they may write to the repository`,
      { cause: err },
    );
  }
  if (status !== undefined)
    return new WorkspaceError('network', `${what} ${url.display}: the server answered HTTP ${status}`, { cause: err });
  if (e.name === 'AbortError' || e.name === 'TimeoutError')
    return new WorkspaceError('network', `${what} ${url.display}: timed out or was cancelled`, { cause: err });
  const message = e.message ?? String(err);
  const network = /ECONNREFUSED|ENOTFOUND|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|socket hang up/.test(message);
  return new WorkspaceError(network ? 'network' : 'git', `${what} ${url.display}: ${message}`, { cause: err });
}

function sshRemoteOps(url: GitUrl, auth: SshAuth, opts: RemoteOptions): GitRemote {
  const remote = sshRemote(url);
  const run = (args: string[], cwd?: string): ReturnType<typeof runGitOverSsh> =>
    runGitOverSsh(auth, args, { signal: signalFor(opts), ...(cwd ? { cwd } : {}) });
  const fail = (err: unknown): WorkspaceError => {
    const classified = classifySsh(err, url, 'the SSH key given') as Error & { reason?: string };
    const code = classified.reason === 'AuthenticationFailed' ? 'auth' : 'network';
    return new WorkspaceError(code, classified.message, { cause: err });
  };
  return {
    async clone(dir, branch, depth, start = false) {
      try {
        const listed = await run(['ls-remote', remote, `refs/heads/${branch}`]);
        if (!listed.stdout.includes(`\trefs/heads/${branch}\n`))
          return await initUnborn(dir, branch, { url, remote, start });
        await run([
          'clone',
          '--quiet',
          '--no-tags',
          '--single-branch',
          `--branch=${branch}`,
          `--depth=${depth}`,
          remote,
          dir,
        ]);
      } catch (err) {
        if (err instanceof WorkspaceError) throw err;
        throw fail(err);
      }
    },
    async fetch(dir, branch) {
      try {
        await run(['fetch', '--quiet', '--no-tags', remote, `+refs/heads/${branch}:${trackingRef(branch)}`], dir);
      } catch (err) {
        if (/couldn't find remote ref/i.test((err as { stderr?: string }).stderr ?? '')) return branchGone(dir, branch);
        throw fail(err);
      }
      return git.resolveRef({ fs, dir, ref: trackingRef(branch) });
    },
    async push(dir, oid, branch, { options = [] } = {}) {
      let out: { stdout: string; stderr: string };
      try {
        const opts = options.flatMap((o) => ['-o', o]);
        out = await run(['push', '--porcelain', ...opts, remote, `${oid}:refs/heads/${branch}`], dir);
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string };
        // --porcelain reports each ref as `!\t<src>:<dst>\t[rejected] (fetch first)` or `[remote rejected] (why)`.
        const line = (e.stdout ?? '').split('\n').find((l) => l.startsWith('!'));
        const why = line?.split('\t')[2] ?? '';
        if (/\[rejected\]/.test(why) || REF_MOVED.test(why))
          return pushFailure(url, branch, { code: 'PushRejectedError' });
        if (/\[remote rejected\]/.test(why)) {
          const reason = /\((.*)\)/.exec(why)?.[1] ?? why;
          const said = (e.stderr ?? '')
            .split('\n')
            .filter((l) => l.startsWith('remote: '))
            .map((l) => l.slice(8).trim())
            .filter(Boolean)
            .join(' ');
          const data = { result: { refs: { [branch]: { ok: false, error: reason } } } };
          return pushFailure(url, branch, { code: 'GitPushError', data }, said);
        }
        const failure = fail(err);
        return {
          status: 'rejected',
          reason: failure.code === 'auth' ? 'auth' : 'network',
          message: `${failure.message}; your commit is kept`,
        };
      }
      return out.stdout.split('\n').some((l) => l.startsWith('!'))
        ? pushFailure(url, branch, { code: 'PushRejectedError' })
        : { status: 'pushed' };
    },
  };
}
