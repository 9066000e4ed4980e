import type { GitAuth } from '../git/git-auth.ts';
import type { GitIdentity } from './git-identity.ts';
import { type NetworkCall, Workspace, type WorkspaceSpec } from './workspace.ts';

/**
 * Every open work tree, one `Workspace` per URL and branch, so that two callers (two windows, a window and the
 * browser UI) share its queue instead of racing on the same files.
 */
export interface WorkspacesOptions {
  /** `<dataDir>/workspaces`. */
  root: string;
  /** Aborts every network operation of every work tree (the app quitting); each is also bounded by `timeoutMs`. */
  signal?: AbortSignal;
  depth?: number;
  timeoutMs?: number;
  identity?: () => Promise<GitIdentity | undefined>;
}

export class Workspaces {
  readonly #opts: WorkspacesOptions;
  readonly #open = new Map<string, Promise<Workspace>>();

  constructor(opts: WorkspacesOptions) {
    this.#opts = opts;
  }

  /**
   * The work tree of `spec`, cloned on first use. `auth` (if given) replaces the credentials the work tree uses for
   * its fetches and pushes from now on. `signal` stops the clone this call starts (a caller that joins a clone
   * already running waits for it, and sees it fail if its starter gave up; the next open clones again).
   */
  async open(spec: WorkspaceSpec, opts: { auth?: GitAuth } & NetworkCall = {}): Promise<Workspace> {
    opts.signal?.throwIfAborted();
    const key = JSON.stringify([spec.url, spec.branch]);
    let ws = this.#open.get(key);
    if (!ws) {
      const call = opts.signal ? { signal: opts.signal } : {};
      ws = Workspace.open(spec, { ...this.#opts, ...(opts.auth ? { auth: opts.auth } : {}) }, call);
      this.#open.set(key, ws);
      // A failed clone is not cached: the next open tries again (with, say, corrected credentials).
      ws.catch(() => this.#open.delete(key));
      return ws;
    }
    const opened = await ws;
    if (opts.auth) opened.setAuth(opts.auth);
    return opened;
  }
}
