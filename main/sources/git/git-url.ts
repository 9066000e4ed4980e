/**
 * GitRepository URLs as Flux accepts them: `http://`, `https://` or `ssh://` (CRD pattern `^(http|https|ssh)://.*$`).
 * scp-like `git@host:path` is refused with the rewrite that works, as Flux's docs tell users to do.
 */
import { createHash } from 'node:crypto';

import { fetchFailed, SourceReason } from '../source-error.ts';

export interface GitUrl {
  protocol: 'http' | 'https' | 'ssh';
  host: string;
  /** Explicit port, or the protocol's default (80, 443, 22). */
  port: number;
  /** Path on the server, starting with '/'. */
  path: string;
  /** User from the URL (ssh: default `git`); never a password. */
  user: string;
  /** The URL without credentials, safe to log and to show. */
  display: string;
}

const DEFAULT_PORT = { http: 80, https: 443, ssh: 22 } as const;

/**
 * The ssh:// form of an scp-like `[user@]host:path` (user `git` when none is given), or undefined when `raw` is not
 * scp-like. The path becomes absolute, as Git hosts (GitHub, GitLab, Gitea, Bitbucket) serve both forms alike.
 */
export function scpToSshUrl(raw: string): string | undefined {
  const url = raw.trim();
  const scp = /^([\w.-]+@)?([\w.-]+):(?!\/\/)(.+)$/.exec(url);
  if (!scp || /^(https?|ssh):/.test(url)) return undefined;
  return `ssh://${scp[1] ?? 'git@'}${scp[2]}/${scp[3]?.replace(/^\//, '')}`;
}

export function parseGitUrl(raw: string): GitUrl {
  const url = raw.trim();
  const rewritten = scpToSshUrl(url);
  if (rewritten) throw invalid(url, `scp-like URLs are not supported; write it as ${rewritten}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw invalid(url, 'it is not a valid URL', err);
  }
  const protocol = parsed.protocol.slice(0, -1);
  if (protocol !== 'http' && protocol !== 'https' && protocol !== 'ssh') {
    throw invalid(url, `the scheme '${protocol}' is not supported; use http://, https:// or ssh://`);
  }
  if (parsed.hostname === '') throw invalid(url, 'it has no host');
  const port = parsed.port === '' ? DEFAULT_PORT[protocol] : Number(parsed.port);
  const decode = (part: string, what: string): string => {
    try {
      return decodeURIComponent(part);
    } catch (err) {
      throw invalid(url, `its ${what} has a malformed %-escape (write a literal % as %25)`, err);
    }
  };
  const user = decode(parsed.username, 'user name') || (protocol === 'ssh' ? 'git' : '');
  const clean = new URL(parsed.href);
  clean.password = '';
  if (protocol !== 'ssh') clean.username = '';
  return {
    protocol,
    host: parsed.hostname,
    port,
    path: decode(parsed.pathname, 'path') || '/',
    user,
    display: clean.href,
  };
}

/** Credentials embedded in an http(s) URL, which isomorphic-git would otherwise send on its own. */
export function urlCredentials(raw: string): { username: string; password: string } | undefined {
  try {
    const u = new URL(raw);
    if (u.username === '' && u.password === '') return undefined;
    return { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  } catch {
    return undefined;
  }
}

/** A stable directory name for a repository's cache: the same URL (credentials aside) always maps to it. */
export function repoCacheKey(url: GitUrl): string {
  const host = url.host.replace(/[^\w.-]/g, '_');
  const hash = createHash('sha256').update(`${url.protocol}://${url.host}:${url.port}${url.path}`).digest('hex');
  return `${host}-${hash.slice(0, 16)}`;
}

function invalid(url: string, why: string, cause?: unknown): Error {
  const shown = url.replace(/\/\/[^@/]*@/, '//');
  return fetchFailed(SourceReason.URLInvalid, `invalid spec.url '${shown}': ${why}`, cause, true);
}
