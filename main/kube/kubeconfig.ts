import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';

import { parseDocument } from 'yaml';

import { displayUrl } from '../util/redact.ts';

/**
 * Kubeconfig files, parsed and merged exactly as kubectl does (client-go `clientcmd.ClientConfigLoadingRules`):
 * `KUBECONFIG` is a list of files, the first file to define a cluster, user or context name wins, the first file to set
 * `current-context` wins, missing files are skipped, and relative paths resolve against the file that holds them.
 */

export interface ExecConfig {
  apiVersion: string;
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  installHint?: string;
  provideClusterInfo: boolean;
  interactiveMode?: 'Never' | 'IfAvailable' | 'Always';
}

export interface KubeCluster {
  name: string;
  server: string;
  /** Absolute path of the CA bundle file. */
  certificateAuthority?: string;
  /** Base64 PEM, as in the file. */
  certificateAuthorityData?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
  disableCompression: boolean;
  /** `extensions` entries, for exec plugins' `provideClusterInfo` (`client.authentication.k8s.io/exec`). */
  extensions: Record<string, unknown>;
}

export interface KubeUser {
  name: string;
  clientCertificate?: string;
  clientCertificateData?: string;
  clientKey?: string;
  clientKeyData?: string;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  impersonate?: string;
  impersonateUid?: string;
  impersonateGroups: string[];
  exec?: ExecConfig;
  authProvider?: { name: string; config: Record<string, string> };
}

export interface KubeContext {
  name: string;
  cluster: string;
  user: string;
  namespace?: string;
}

/** One kubeconfig file as read from disk (paths already absolute). */
export interface KubeconfigFile {
  path: string;
  currentContext?: string;
  clusters: KubeCluster[];
  users: KubeUser[];
  contexts: KubeContext[];
}

/** The merged view of all kubeconfig files. */
export interface Kubeconfig {
  /** Files that were read, in merge order. */
  files: string[];
  currentContext?: string;
  clusters: Map<string, KubeCluster>;
  users: Map<string, KubeUser>;
  contexts: Map<string, KubeContext>;
  /** Which file each context came from, for messages ("context x in ~/.kube/config"). */
  contextFiles: Map<string, string>;
}

/** A file that exists but could not be used; the other files still load. */
export interface KubeconfigProblem {
  file: string;
  message: string;
}

export interface LoadedKubeconfig {
  config: Kubeconfig;
  problems: KubeconfigProblem[];
}

/** What a context resolves to: everything needed to build a client. */
export interface ResolvedContext {
  name: string;
  cluster: KubeCluster;
  user: KubeUser;
  namespace: string;
}

/** The files kubectl would read: `$KUBECONFIG` (deduplicated, empties dropped) or `~/.kube/config`. */
export function kubeconfigPaths(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string[] {
  const list = (env.KUBECONFIG ?? '').split(delimiter).filter((p) => p.trim() !== '');
  if (list.length === 0) return [join(home, '.kube', 'config')];
  return [...new Set(list.map((p) => resolve(p)))];
}

type Raw = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const bool = (v: unknown): boolean => v === true || v === 'true';
const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const obj = (v: unknown): Raw => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});

/** Resolves a file reference against the kubeconfig's directory, as client-go's `ResolveLocalPaths` does. */
function localPath(base: string, p: string | undefined): string | undefined {
  if (p === undefined) return undefined;
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(base, p);
}

function namedEntries(list: unknown, key: string, file: string): { name: string; body: Raw }[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new Error(`${file}: '${key}s' must be a list`);
  const out: { name: string; body: Raw }[] = [];
  for (const item of list) {
    const name = str(obj(item).name);
    if (name === undefined) continue; // kubectl ignores unnamed entries too
    out.push({ name, body: obj(obj(item)[key]) });
  }
  return out;
}

function parseExec(raw: Raw, base: string): ExecConfig | undefined {
  const command = str(raw.command);
  if (command === undefined) return undefined;
  const mode = str(raw.interactiveMode);
  return {
    apiVersion: str(raw.apiVersion) ?? 'client.authentication.k8s.io/v1beta1',
    // Only a command with a path separator is file-relative; a bare name is looked up on PATH.
    command: command.includes(sep) || command.includes('/') ? (localPath(base, command) ?? command) : command,
    args: strList(raw.args),
    env: Array.isArray(raw.env)
      ? raw.env.map((e) => ({ name: str(obj(e).name) ?? '', value: str(obj(e).value) ?? '' })).filter((e) => e.name)
      : [],
    installHint: str(raw.installHint),
    provideClusterInfo: bool(raw.provideClusterInfo),
    interactiveMode: mode === 'Never' || mode === 'IfAvailable' || mode === 'Always' ? mode : undefined,
  };
}

/** Parses one kubeconfig file's text. Throws with the file and line on malformed YAML. */
export function parseKubeconfig(text: string, path: string): KubeconfigFile {
  const doc = parseDocument(text, { prettyErrors: true });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0].line;
    throw new Error(`${path}${line === undefined ? '' : `:${line}`}: invalid YAML: ${err.message.split('\n')[0]}`);
  }
  const root = obj(doc.toJS());
  const base = dirname(path);
  return {
    path,
    currentContext: str(root['current-context']),
    clusters: namedEntries(root.clusters, 'cluster', path).map(({ name, body }) => ({
      name,
      server: str(body.server) ?? '',
      certificateAuthority: localPath(base, str(body['certificate-authority'])),
      certificateAuthorityData: str(body['certificate-authority-data']),
      insecureSkipTlsVerify: bool(body['insecure-skip-tls-verify']),
      tlsServerName: str(body['tls-server-name']),
      proxyUrl: str(body['proxy-url']),
      disableCompression: bool(body['disable-compression']),
      extensions: Object.fromEntries(
        (Array.isArray(body.extensions) ? body.extensions : []).map((e) => [str(obj(e).name) ?? '', obj(e).extension]),
      ),
    })),
    users: namedEntries(root.users, 'user', path).map(({ name, body }) => ({
      name,
      clientCertificate: localPath(base, str(body['client-certificate'])),
      clientCertificateData: str(body['client-certificate-data']),
      clientKey: localPath(base, str(body['client-key'])),
      clientKeyData: str(body['client-key-data']),
      token: str(body.token),
      tokenFile: localPath(base, str(body.tokenFile)),
      username: str(body.username),
      password: str(body.password),
      impersonate: str(body.as),
      impersonateUid: str(body['as-uid']),
      impersonateGroups: strList(body['as-groups']),
      exec: body.exec === undefined ? undefined : parseExec(obj(body.exec), base),
      authProvider:
        body['auth-provider'] === undefined
          ? undefined
          : {
              name: str(obj(body['auth-provider']).name) ?? '',
              config: Object.fromEntries(
                Object.entries(obj(obj(body['auth-provider']).config)).map(([k, v]) => [k, String(v)]),
              ),
            },
    })),
    contexts: namedEntries(root.contexts, 'context', path).map(({ name, body }) => ({
      name,
      cluster: str(body.cluster) ?? '',
      user: str(body.user) ?? '',
      namespace: str(body.namespace),
    })),
  };
}

/** Merges files in kubectl's order: the first file to define a name, or to set `current-context`, wins. */
export function mergeKubeconfigs(files: KubeconfigFile[]): Kubeconfig {
  const merged: Kubeconfig = {
    files: files.map((f) => f.path),
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
    contextFiles: new Map(),
  };
  for (const f of files) {
    merged.currentContext ??= f.currentContext;
    for (const c of f.clusters) if (!merged.clusters.has(c.name)) merged.clusters.set(c.name, c);
    for (const u of f.users) if (!merged.users.has(u.name)) merged.users.set(u.name, u);
    for (const c of f.contexts) {
      if (merged.contexts.has(c.name)) continue;
      merged.contexts.set(c.name, c);
      merged.contextFiles.set(c.name, f.path);
    }
  }
  return merged;
}

/** Reads and merges kubeconfig files. Missing files are skipped silently (as kubectl does); broken ones are reported. */
export async function loadKubeconfig(paths: string[] = kubeconfigPaths()): Promise<LoadedKubeconfig> {
  const problems: KubeconfigProblem[] = [];
  const files: KubeconfigFile[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        problems.push({ file: path, message: `cannot read ${path}: ${(err as Error).message}` });
      continue;
    }
    try {
      files.push(parseKubeconfig(text, path));
    } catch (err) {
      problems.push({ file: path, message: (err as Error).message });
    }
  }
  return { config: mergeKubeconfigs(files), problems };
}

/** Parses a kubeconfig held in memory (a Kustomization's `kubeConfig.secretRef`); `label` names it in messages. */
export function kubeconfigFromYaml(text: string, label: string): Kubeconfig {
  return mergeKubeconfigs([parseKubeconfig(text, label)]);
}

/** Looks a context up with its cluster and user; throws a message that says what is missing and where. */
export function resolveContext(config: Kubeconfig, name: string | undefined = config.currentContext): ResolvedContext {
  const where = config.files.length ? config.files.join(', ') : 'the kubeconfig';
  if (name === undefined) throw new Error(`no current-context is set in ${where}; choose a context`);
  const ctx = config.contexts.get(name);
  if (!ctx) throw new Error(`context "${name}" not found in ${where}`);
  const file = config.contextFiles.get(name) ?? where;
  const cluster = config.clusters.get(ctx.cluster);
  if (!cluster) throw new Error(`context "${name}" (${file}) refers to cluster "${ctx.cluster}", which is not defined`);
  if (!cluster.server) throw new Error(`cluster "${cluster.name}" of context "${name}" (${file}) has no server`);
  // A context without a user is legal (anonymous access), exactly as kubectl treats it.
  const user = config.users.get(ctx.user) ?? { name: ctx.user, impersonateGroups: [] };
  return { name, cluster, user, namespace: ctx.namespace ?? 'default' };
}

export type AuthMethod = 'client-certificate' | 'token' | 'token-file' | 'basic' | 'exec' | 'auth-provider' | 'none';

/** The main way a user authenticates, for listings and auth health. */
export function authMethodOf(user: KubeUser): AuthMethod {
  if (user.exec) return 'exec';
  if (user.authProvider) return 'auth-provider';
  if (user.token) return 'token';
  if (user.tokenFile) return 'token-file';
  if (user.clientCertificate ?? user.clientCertificateData) return 'client-certificate';
  if (user.username) return 'basic';
  return 'none';
}

/** One row of the context list the UI and `fluxdeck` show. No secrets in it. */
export interface ContextSummary {
  name: string;
  cluster: string;
  server: string;
  user: string;
  namespace: string;
  authMethod: AuthMethod;
  /** e.g. the exec plugin's command or the auth-provider's name. */
  authDetail?: string;
  current: boolean;
  file: string;
}

export function listContexts(config: Kubeconfig): ContextSummary[] {
  return [...config.contexts.values()].map((ctx) => {
    const user = config.users.get(ctx.user);
    const method = user ? authMethodOf(user) : 'none';
    return {
      name: ctx.name,
      cluster: ctx.cluster,
      server: displayUrl(config.clusters.get(ctx.cluster)?.server ?? ''),
      user: ctx.user,
      namespace: ctx.namespace ?? 'default',
      authMethod: method,
      authDetail:
        method === 'exec' ? user?.exec?.command : method === 'auth-provider' ? user?.authProvider?.name : undefined,
      current: ctx.name === config.currentContext,
      file: config.contextFiles.get(ctx.name) ?? '',
    };
  });
}
