/**
 * Fetches the commit a GitRepository asks for into a per-repository cache, with isomorphic-git:
 * - the remote refs are listed first (protocol v2 `ls-refs` with a prefix), so an unchanged revision costs one small
 *   request and no pack at all (Flux's "optimized clone");
 * - the first fetch is shallow and single-branch (`depth: 1`); later fetches send what the cache has as `have`s, so
 *   only new objects travel (a force-push works the same way: the server sends what the new tip needs);
 * - one isomorphic-git `cache` object per repository is shared by every call (isomorphic-git#1255);
 * - the cache heals itself: a cache that cannot be read, or has grown too many packs, is dropped and fetched afresh.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import * as git from 'isomorphic-git';

import { fetchFailed, messageOf, SourceError, SourceReason } from '../source-error.ts';
import type { GitAuth } from './git-auth.ts';
import {
  commitOfRevision,
  describePlan,
  type GitRef,
  pickSemverTag,
  planRef,
  type RefPlan,
  type RemoteRef,
  revisionFor,
  type Target,
} from './git-reference.ts';
import { type GitUrl, parseGitUrl, repoCacheKey } from './git-url.ts';
import { type CountingHttpClient, createHttpClient } from './http-client.ts';
import { ObjectStore, parseCommit, peelToCommit } from './object-store.ts';
import { indexPack } from './pack-indexer.ts';
import { type SshGit, sshGit } from './ssh-transport.ts';
import { discoverV2, type FetchRequest, fetchV2, lsRefsV2, type V2Capabilities } from './upload-pack-v2.ts';

export interface GitFetchSpec {
  url: string;
  ref?: GitRef;
}

export interface GitFetchOptions {
  /** Parent directory of the per-repository caches (e.g. `<app data>/cache/git`). */
  cacheDir: string;
  signal?: AbortSignal;
  /** Flux's `spec.timeout`; default 60 s. */
  timeoutMs?: number;
  /** The revision of the current artifact (`main@sha1:...`); `changed` compares against it. */
  lastRevision?: string;
  /** Names the secret in error messages (`namespace/name`). */
  secretName?: string;
}

export interface GitFetchResult {
  commit: string;
  /** Flux's revision string: `main@sha1:<hex>`, `v1.0.0@sha1:<hex>`, `sha1:<hex>`... */
  revision: string;
  /** The full remote ref that was resolved (`refs/heads/main`), or '' for a bare commit. */
  reference: string;
  /** Commit message (Flux's NewArtifact event quotes its first line). */
  message: string;
  /** True when the commit differs from `lastRevision`'s. */
  changed: boolean;
  /** False when the cache already had the commit and nothing was downloaded. */
  fetched: boolean;
  /** Bytes received from the server (ref listing and pack). */
  bytesReceived: number;
  /** The cache's git directory, where the artifact builder reads the tree from. */
  gitdir: string;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
/** More packs than this and the cache is re-cloned shallowly: keeps disk and memory with the tree, not the history. */
const MAX_PACKS = 24;

/** One isomorphic-git cache object per repository, shared by all calls in this thread. */
const isoCaches = new Map<string, object>();
/** Serialises work on one cache directory within this thread. */
const locks = new Map<string, Promise<unknown>>();

export function withRepoLock<T>(gitdir: string, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(gitdir) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  const done = (): void => {
    if (locks.get(gitdir) === tail) locks.delete(gitdir);
  };
  const tail: Promise<void> = run.then(done, done);
  locks.set(gitdir, tail);
  return run;
}

export function cacheDirFor(cacheDir: string, url: string): string {
  return join(cacheDir, `${repoCacheKey(parseGitUrl(url))}.git`);
}

export async function fetchGit(
  spec: GitFetchSpec,
  auth: GitAuth | undefined,
  opts: GitFetchOptions,
): Promise<GitFetchResult> {
  const url = parseGitUrl(spec.url);
  const plan = planRef(spec.ref);
  const gitdir = join(opts.cacheDir, `${repoCacheKey(url)}.git`);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const session: Session = { url, plan, gitdir, signal, auth, secretName: opts.secretName ?? 'the secret' };
  return withRepoLock(gitdir, async () => {
    try {
      try {
        return await fetchLocked(session, opts.lastRevision);
      } catch (err) {
        if (!isCacheProblem(err) || signal.aborted) throw err;
        // A damaged cache (a truncated pack, a missing object): start again from an empty one, once.
        await dropCache(gitdir);
        return await fetchLocked(session, opts.lastRevision);
      }
    } catch (err) {
      if (timeout.aborted && !opts.signal?.aborted) {
        throw fetchFailed(
          SourceReason.GitOperationFailed,
          `timed out after ${timeoutMs / 1000}s fetching ${describePlan(plan)} from ${url.display}; raise spec.timeout if the repository is large or the server slow`,
          err,
        );
      }
      throw classify(err, session);
    }
  });
}

interface Session {
  url: GitUrl;
  plan: RefPlan;
  gitdir: string;
  signal: AbortSignal;
  auth: GitAuth | undefined;
  secretName: string;
}

interface HttpRemote {
  kind: 'http';
  http: CountingHttpClient;
  url: string;
  headers: Record<string, string>;
  /** Protocol v2 capabilities, once asked; null when the server only speaks v0/v1. */
  v2?: V2Capabilities | null;
  /** Whether `v2` came from an earlier fetch rather than from asking the server now. */
  v2Remembered?: boolean;
}

interface SshRemote {
  kind: 'ssh';
  git: SshGit;
}

type Remote = HttpRemote | SshRemote;

function remoteFor(s: Session): Remote {
  if (s.url.protocol === 'ssh') {
    if (s.auth?.kind !== 'ssh') {
      throw fetchFailed(
        SourceReason.AuthenticationFailed,
        `${s.url.display} is an ssh:// URL: set spec.secretRef to a secret with 'identity' and 'known_hosts'`,
      );
    }
    return { kind: 'ssh', git: sshGit(s.url, s.auth, s.signal, s.secretName) };
  }
  const httpAuth = s.auth?.kind === 'http' ? s.auth : undefined;
  const headers: Record<string, string> = httpAuth?.authorization ? { authorization: httpAuth.authorization } : {};
  const http = createHttpClient({
    headers,
    signal: s.signal,
    ...(httpAuth?.caCert ? { caCert: httpAuth.caCert } : {}),
  });
  return { kind: 'http', http, url: s.url.display, headers };
}

async function fetchLocked(s: Session, lastRevision: string | undefined): Promise<GitFetchResult> {
  const remote = remoteFor(s);
  try {
    return await fetchFrom(s, remote, lastRevision);
  } catch (err) {
    // Our own findings (a ref not found, no matching tag) came after the server answered in protocol v2 as
    // remembered; anything else may mean the server changed (no longer v2, moved): ask it again, once.
    if (remote.kind !== 'http' || !remote.v2Remembered || err instanceof SourceError || s.signal.aborted) throw err;
    v2Capabilities.delete(remote.url);
    return fetchFrom(s, remoteFor(s), lastRevision);
  }
}

async function fetchFrom(s: Session, remote: Remote, lastRevision: string | undefined): Promise<GitFetchResult> {
  const target = await resolveTarget(s, remote);
  await ensureRepo(s.gitdir, s.url.display);
  let fetched = false;
  let commit = haveCommit(s.gitdir, target);
  if (commit === undefined) {
    await fetchTarget(s, remote, target);
    fetched = true;
    commit = haveCommit(s.gitdir, target);
    if (commit === undefined) {
      throw fetchFailed(
        SourceReason.GitOperationFailed,
        `${describePlan(s.plan)} was fetched from ${s.url.display} but its commit is not in the pack`,
      );
    }
  }
  const store = new ObjectStore(s.gitdir, { cacheBytes: 1 << 20 });
  let message: string;
  try {
    message = parseCommit(store.readTyped(commit, 'commit')).message;
  } finally {
    store.close();
  }
  if (s.plan.kind === 'commit' && commit !== s.plan.commit) {
    throw fetchFailed(
      SourceReason.GitOperationFailed,
      `unable to resolve commit object for '${s.plan.commit}' in ${s.url.display}`,
    );
  }
  await rememberHave(s.gitdir, target, commit);
  return {
    commit,
    revision: revisionFor(s.plan, target.fullRef, commit),
    reference: target.fullRef,
    message,
    changed: commit !== commitOfRevision(lastRevision),
    fetched,
    bytesReceived: remote.kind === 'http' ? remote.http.bytesReceived() : 0,
    gitdir: s.gitdir,
  };
}

/** Lists the remote refs the plan needs and picks the target. */
async function resolveTarget(s: Session, remote: Remote): Promise<Target> {
  const plan = s.plan;
  if (plan.kind === 'commit' && !plan.branchRef) return { fullRef: '', oid: plan.commit, commit: plan.commit };
  const prefix = plan.kind === 'semver' ? 'refs/tags/' : plan.kind === 'commit' ? (plan.branchRef ?? '') : plan.fullRef;
  const refs = await listRefs(remote, prefix);
  if (plan.kind === 'semver') {
    const tag = pickSemverTag(refs, plan.range);
    if (!tag) {
      throw fetchFailed(
        SourceReason.GitOperationFailed,
        `no match found for semver: ${plan.range.source}: no tag of ${s.url.display} satisfies it (tags must be semver, optionally with a leading 'v')`,
      );
    }
    return { fullRef: tag.ref, oid: tag.oid, commit: tag.peeled ?? tag.oid };
  }
  const wanted = plan.kind === 'commit' ? (plan.branchRef ?? '') : plan.fullRef;
  const found = refs.find((r) => r.ref === wanted);
  if (!found) {
    throw fetchFailed(
      SourceReason.GitOperationFailed,
      `${describePlan(plan)} not found in ${s.url.display}; check spec.ref (and that the secret grants read access)`,
    );
  }
  if (plan.kind === 'commit') return { fullRef: wanted, oid: plan.commit, commit: plan.commit };
  return { fullRef: found.ref, oid: found.oid, commit: found.peeled ?? (plan.kind === 'tag' ? undefined : found.oid) };
}

/**
 * Protocol v2 capabilities of the servers that answered in v2, by URL (without credentials). A server's protocol does
 * not change between reconciles, so an incremental fetch skips the discovery request and goes straight to ls-refs
 * and fetch (protocol v2 over HTTP is stateless): two round trips where `git fetch` makes three. Profile of bench git
 * (b): the discovery request (a git-http-backend run on the server) was a third of the incremental fetch's time.
 * A fetch that fails with remembered capabilities forgets them and starts again with a discovery.
 */
const v2Capabilities = new Map<string, V2Capabilities>();
/** Bounds the map for a process that sees many URLs (it is only a shortcut). */
const MAX_REMEMBERED_SERVERS = 1000;

async function protocolV2(remote: HttpRemote): Promise<V2Capabilities | null> {
  if (remote.v2 !== undefined) return remote.v2;
  const remembered = v2Capabilities.get(remote.url);
  if (remembered) {
    remote.v2Remembered = true;
    return (remote.v2 = remembered);
  }
  remote.v2 = (await discoverV2(remote.http, remote.url, { ...remote.headers })) ?? null;
  if (remote.v2) {
    if (v2Capabilities.size >= MAX_REMEMBERED_SERVERS) v2Capabilities.clear();
    v2Capabilities.set(remote.url, remote.v2);
  }
  return remote.v2;
}

async function listRefs(remote: Remote, prefix: string): Promise<RemoteRef[]> {
  if (remote.kind === 'ssh') return remote.git.lsRemote(prefix);
  if (await protocolV2(remote)) return lsRefsV2(remote.http, remote.url, { ...remote.headers }, prefix);
  const refs = await git.listServerRefs({
    http: remote.http,
    url: remote.url,
    // isomorphic-git writes Git-Protocol into the object it is given: always pass a copy.
    headers: { ...remote.headers },
    protocolVersion: 1,
    prefix,
    peelTags: true,
  });
  return refs.map((r) => ({ ref: r.ref, oid: r.oid, ...(r.peeled ? { peeled: r.peeled } : {}) }));
}

async function ensureRepo(gitdir: string, displayUrl: string): Promise<void> {
  if (fs.existsSync(join(gitdir, 'config')) && fs.existsSync(join(gitdir, 'objects'))) {
    const packs = await readdir(join(gitdir, 'objects', 'pack')).catch(() => []);
    if (packs.filter((p) => p.endsWith('.pack')).length <= MAX_PACKS) return;
    await dropCache(gitdir);
  }
  await mkdir(gitdir, { recursive: true });
  await git.init({ fs, gitdir, bare: true, defaultBranch: 'main' });
  await git.setConfig({ fs, gitdir, path: 'remote.origin.url', value: displayUrl });
  await git.setConfig({ fs, gitdir, path: 'remote.origin.fetch', value: '+refs/heads/*:refs/remotes/origin/*' });
}

/** Deletes a repository's cache; the next fetch starts from scratch. */
export async function dropCache(gitdir: string): Promise<void> {
  isoCaches.delete(gitdir);
  await rm(gitdir, { recursive: true, force: true });
}

/** The commit of the target if the cache already has it (and so its whole tree), else undefined. */
function haveCommit(gitdir: string, target: Target): string | undefined {
  const store = new ObjectStore(gitdir, { cacheBytes: 1 << 20 });
  try {
    const oid = target.commit ?? target.oid;
    if (!store.has(oid)) return undefined;
    const commit = peelToCommit(store, oid);
    return store.has(commit) ? commit : undefined;
  } catch {
    return undefined;
  } finally {
    store.close();
  }
}

/** The local ref whose commit is sent as `have` next time this target is fetched. */
function haveRef(target: Target): string {
  return `refs/fluxdeck/${createHash('sha1')
    .update(target.fullRef || target.oid)
    .digest('hex')
    .slice(0, 16)}`;
}

async function rememberHave(gitdir: string, target: Target, commit: string): Promise<void> {
  await git.writeRef({ fs, gitdir, ref: haveRef(target), value: commit, force: true });
}

async function fetchTarget(s: Session, remote: Remote, target: Target): Promise<void> {
  if (remote.kind === 'ssh') return fetchWithSsh(s, remote, target);
  const v2 = await protocolV2(remote);
  if (v2?.fetch.has('shallow')) await fetchWithV2(s, remote, target);
  else await fetchWithIsomorphicGit(s, remote, target);
}

async function fetchWithSsh(s: Session, remote: SshRemote, target: Target): Promise<void> {
  const want = s.plan.kind === 'commit' ? target.oid : target.fullRef;
  try {
    await remote.git.fetch(s.gitdir, want, haveRef(target), 1);
  } catch (err) {
    if (s.plan.kind !== 'commit' || !target.fullRef || s.signal.aborted) throw err;
    await remote.git.fetch(s.gitdir, target.fullRef, haveRef(target), undefined);
  }
}

/** Protocol v2: shallow and incremental (haves are every tip fetched before). */
async function fetchWithV2(s: Session, remote: HttpRemote, target: Target): Promise<void> {
  const bareCommit = s.plan.kind === 'commit';
  const req = { wants: [target.oid], haves: await knownTips(s.gitdir), shallows: await readShallow(s.gitdir) };
  try {
    await receivePack(s, remote, { ...req, depth: 1 });
  } catch (err) {
    if (!bareCommit || s.signal.aborted || !target.fullRef || isAuthError(err)) throw err;
    // The server does not serve unadvertised commits: fetch the branch's whole history instead, as Flux does.
    const refs = await listRefs(remote, target.fullRef);
    const tip = refs.find((r) => r.ref === target.fullRef);
    if (!tip) throw err;
    await receivePack(s, remote, { ...req, wants: [tip.oid], depth: FULL_DEPTH });
  }
}

/** git's INFINITE_DEPTH: deepen to the roots. */
const FULL_DEPTH = 0x7fffffff;

async function receivePack(s: Session, remote: HttpRemote, req: FetchRequest): Promise<void> {
  const packDir = join(s.gitdir, 'objects', 'pack');
  await mkdir(packDir, { recursive: true });
  const tmp = join(packDir, `tmp-${process.pid}-${Date.now().toString(36)}`);
  try {
    const res = await fetchV2(remote.http, remote.url, { ...remote.headers }, req, `${tmp}.pack`);
    s.signal.throwIfAborted();
    if (res.packBytes > 0) {
      const store = new ObjectStore(s.gitdir, { cacheBytes: 1 << 20 });
      let indexed;
      try {
        indexed = indexPack(`${tmp}.pack`, `${tmp}.idx`, (oid) => (store.has(oid) ? store.read(oid) : undefined));
      } finally {
        store.close();
      }
      const name = join(packDir, `pack-${indexed.checksum}`);
      // The .pack goes first: a reader only looks for packs through their .idx.
      await rename(`${tmp}.pack`, `${name}.pack`);
      await rename(`${tmp}.idx`, `${name}.idx`);
    }
    await writeShallow(s.gitdir, res.shallow, res.unshallow);
  } finally {
    await rm(`${tmp}.pack`, { force: true });
    await rm(`${tmp}.idx`, { force: true });
  }
}

async function knownTips(gitdir: string): Promise<string[]> {
  const refs = await git.listRefs({ fs, gitdir, filepath: 'refs/fluxdeck' }).catch(() => [] as string[]);
  const oids = await Promise.all(
    refs.map((r) => git.resolveRef({ fs, gitdir, ref: `refs/fluxdeck/${r}` }).catch(() => undefined)),
  );
  return [...new Set(oids.filter((o): o is string => o !== undefined))];
}

async function readShallow(gitdir: string): Promise<string[]> {
  const text = await readFile(join(gitdir, 'shallow'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => /^[0-9a-f]{40}$/.test(l));
}

async function writeShallow(gitdir: string, add: string[], remove: string[]): Promise<void> {
  const set = new Set(await readShallow(gitdir));
  for (const oid of add) set.add(oid);
  for (const oid of remove) set.delete(oid);
  const file = join(gitdir, 'shallow');
  if (set.size === 0) await rm(file, { force: true });
  else await writeFile(file, [...set].sort().join('\n') + '\n');
}

/** Servers without protocol v2: isomorphic-git's fetch (shallow, but each fetch sends the whole tree again). */
async function fetchWithIsomorphicGit(s: Session, remote: HttpRemote, target: Target): Promise<void> {
  const cache = isoCaches.get(s.gitdir) ?? {};
  isoCaches.set(s.gitdir, cache);
  const base = {
    fs,
    http: remote.http,
    gitdir: s.gitdir,
    url: remote.url,
    ref: haveRef(target),
    singleBranch: true,
    tags: false,
    cache,
  };
  const bareCommit = s.plan.kind === 'commit';
  try {
    await git.fetch({
      ...base,
      headers: { ...remote.headers },
      remoteRef: bareCommit ? target.oid : target.fullRef,
      depth: 1,
    });
  } catch (err) {
    if (!bareCommit || s.signal.aborted || !target.fullRef || isAuthError(err)) throw err;
    await git.fetch({ ...base, headers: { ...remote.headers }, remoteRef: target.fullRef });
  }
}

/** Errors that come from the local cache rather than from the network, the server or the spec. */
function isCacheProblem(err: unknown): boolean {
  if (err instanceof SourceError || networkCode(err) !== undefined) return false;
  const e = err as { code?: string; data?: { statusCode?: number } };
  return e.data?.statusCode === undefined && e.code !== 'NotFoundError' && (err as Error).name !== 'AbortError';
}

function isAuthError(err: unknown): boolean {
  const status = (err as { data?: { statusCode?: number } }).data?.statusCode;
  return status === 401 || status === 403;
}

/** Turns whatever failed into a SourceError with Flux's reason and a message that says what to do. */
export function classify(err: unknown, s: { url: GitUrl; secretName: string; plan: RefPlan }): SourceError {
  if (err instanceof SourceError) return err;
  const where = s.url.display;
  const e = err as {
    code?: string;
    name?: string;
    data?: { statusCode?: number; statusMessage?: string };
    cause?: unknown;
  };
  const status = e.data?.statusCode;
  if (status === 401 || status === 403) {
    return fetchFailed(
      SourceReason.AuthenticationFailed,
      `authentication failed for ${where} (HTTP ${status}): check 'username'/'password' or 'bearerToken' in ${s.secretName}`,
      err,
    );
  }
  if (status === 404) {
    return fetchFailed(
      SourceReason.GitOperationFailed,
      `repository not found at ${where} (HTTP 404): check spec.url and the credentials`,
      err,
    );
  }
  if (status !== undefined) {
    return fetchFailed(
      SourceReason.GitOperationFailed,
      `${where} answered HTTP ${status} ${e.data?.statusMessage ?? ''}`.trim(),
      err,
    );
  }
  const code = networkCode(err);
  if (code) {
    const hint = NETWORK_HINTS[code] ?? `network error ${code}`;
    return fetchFailed(SourceReason.GitOperationFailed, `cannot reach ${where}: ${hint}`, err);
  }
  if (e.code === 'NotFoundError') {
    return fetchFailed(
      SourceReason.GitOperationFailed,
      `${describePlan(s.plan)} not found in ${where}: ${messageOf(err)}`,
      err,
    );
  }
  if (e.name === 'AbortError') {
    return fetchFailed(SourceReason.GitOperationFailed, `fetching ${where} was cancelled`, err);
  }
  return fetchFailed(
    SourceReason.GitOperationFailed,
    `failed to fetch ${describePlan(s.plan)} from ${where}: ${messageOf(err)}`,
    err,
  );
}

const NETWORK_HINTS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the server running, and the port right?)',
  ENOTFOUND: 'host not found (check the host name in spec.url and your DNS)',
  EAI_AGAIN: 'host name lookup failed temporarily (DNS)',
  ECONNRESET: 'the connection was reset by the server',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is self-signed: add its CA as 'ca.crt' to the secret",
  SELF_SIGNED_CERT_IN_CHAIN: "the certificate chain has a self-signed CA: add it as 'ca.crt' to the secret",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate cannot be verified: add its CA as 'ca.crt' to the secret",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the server's certificate issuer is unknown: add its CA as 'ca.crt' to the secret",
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate does not name this host",
};

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, i = 0; e && i < 6; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: string }).code;
    if (code && (code in NETWORK_HINTS || /^E[A-Z]+$/.test(code))) {
      if (code === 'ENOENT' || code === 'EEXIST' || code === 'EACCES') return undefined;
      return code;
    }
    const errors = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) return networkCode(errors[0]);
  }
  return undefined;
}
