import { spawn } from 'node:child_process';

import { scrubText } from '../util/redact.ts';
import { KubeError } from './kube-error.ts';
import type { ExecConfig, KubeCluster } from './kubeconfig.ts';
import { execSearchPath, findExecutable } from './login-shell-path.ts';

/**
 * Runs client-go exec credential plugins (`aws eks get-token`, `gke-gcloud-auth-plugin`, `kubelogin`...) the way
 * kubectl does: `KUBERNETES_EXEC_INFO` in the environment, stdin closed (we have no terminal), an ExecCredential on
 * stdout. Credentials are cached until their `expirationTimestamp` (or until the cluster answers 401), and concurrent
 * requests share one plugin run.
 */
export interface ExecCredentialStatus {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  expirationTimestamp?: string;
}

export interface ExecCredentialOptions {
  /** The PATH to search; defaults to the process PATH merged with the login shell's. */
  searchPath?: () => Promise<string>;
  now?: () => number;
  timeoutMs?: number;
}

/** Refresh this long before expiry so a request never goes out with a token that dies in flight. */
const EXPIRY_MARGIN_MS = 30_000;

export class ExecCredentialProvider {
  readonly #cache = new Map<string, { status: ExecCredentialStatus; expires: number }>();
  readonly #inflight = new Map<string, Promise<ExecCredentialStatus>>();
  readonly #opts: ExecCredentialOptions;

  constructor(opts: ExecCredentialOptions = {}) {
    this.#opts = opts;
  }

  /** A valid credential for this user, from the cache or a fresh plugin run. */
  async get(userName: string, exec: ExecConfig, cluster: KubeCluster): Promise<ExecCredentialStatus> {
    const key = cacheKey(userName, exec, cluster);
    const now = (this.#opts.now ?? Date.now)();
    const hit = this.#cache.get(key);
    if (hit && hit.expires - EXPIRY_MARGIN_MS > now) return hit.status;
    let running = this.#inflight.get(key);
    if (!running) {
      running = this.#run(exec, cluster).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, running);
    }
    const status = await running;
    const expires = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : Number.POSITIVE_INFINITY;
    this.#cache.set(key, { status, expires: Number.isNaN(expires) ? Number.POSITIVE_INFINITY : expires });
    return status;
  }

  /** Forgets the cached credential (after a 401), so the next request runs the plugin again. */
  invalidate(userName: string, exec: ExecConfig, cluster: KubeCluster): void {
    this.#cache.delete(cacheKey(userName, exec, cluster));
  }

  async #run(exec: ExecConfig, cluster: KubeCluster): Promise<ExecCredentialStatus> {
    const searchPath = await (this.#opts.searchPath ?? execSearchPath)();
    const file = await findExecutable(exec.command, searchPath);
    if (file === undefined) {
      throw new KubeError(`exec plugin \`${exec.command}\` not found on PATH`, {
        reason: 'AuthFailed',
        hint:
          exec.installHint?.trim() ??
          `install \`${exec.command}\` or put its absolute path in the kubeconfig's exec.command`,
      });
    }
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: searchPath };
    for (const e of exec.env) env[e.name] = e.value;
    env.KUBERNETES_EXEC_INFO = JSON.stringify(execInfo(exec, cluster));
    const timeoutMs = this.#opts.timeoutMs ?? 60_000;
    const { code, stdout, stderr, timedOut } = await runProcess(file, exec.args, env, timeoutMs);
    if (timedOut) {
      throw new KubeError(`exec plugin \`${exec.command}\` timed out after ${Math.round(timeoutMs / 1000)} s`, {
        reason: 'AuthFailed',
        hint: `it may be waiting for a login: run \`${exec.command}\` in a terminal once, then connect again`,
      });
    }
    if (code !== 0) {
      const detail = stderrSummary(stderr);
      throw new KubeError(`exec plugin \`${exec.command}\` failed (exit ${code})${detail ? `: ${detail}` : ''}`, {
        reason: 'AuthFailed',
        hint:
          exec.interactiveMode === 'Always'
            ? `this plugin needs a terminal: run any kubectl command for this context in a terminal once to log in`
            : `run \`${[exec.command, ...exec.args].join(' ')}\` in a terminal to see why`,
      });
    }
    return parseExecCredential(stdout, exec);
  }
}

function cacheKey(userName: string, exec: ExecConfig, cluster: KubeCluster): string {
  return JSON.stringify([userName, exec, exec.provideClusterInfo ? cluster.server : '']);
}

function execInfo(exec: ExecConfig, cluster: KubeCluster): unknown {
  const spec: Record<string, unknown> = { interactive: false };
  if (exec.provideClusterInfo) {
    spec.cluster = {
      server: cluster.server,
      'tls-server-name': cluster.tlsServerName,
      'insecure-skip-tls-verify': cluster.insecureSkipTlsVerify,
      'certificate-authority-data': cluster.certificateAuthorityData,
      'proxy-url': cluster.proxyUrl,
      'disable-compression': cluster.disableCompression,
      config: cluster.extensions['client.authentication.k8s.io/exec'],
    };
  }
  return { apiVersion: exec.apiVersion, kind: 'ExecCredential', spec };
}

/** Validates a plugin's stdout; the message never contains the credential itself. */
export function parseExecCredential(stdout: string, exec: ExecConfig): ExecCredentialStatus {
  let parsed: { apiVersion?: string; kind?: string; status?: ExecCredentialStatus };
  try {
    parsed = JSON.parse(stdout) as typeof parsed;
  } catch (err) {
    throw new KubeError(`exec plugin \`${exec.command}\` printed something that is not an ExecCredential JSON`, {
      reason: 'AuthFailed',
      cause: err,
      hint: 'check that the plugin is the right version for this kubeconfig',
    });
  }
  if (parsed.kind !== 'ExecCredential' || parsed.apiVersion !== exec.apiVersion) {
    throw new KubeError(
      `exec plugin \`${exec.command}\` returned ${parsed.kind ?? 'no kind'} ${parsed.apiVersion ?? ''}, expected ExecCredential ${exec.apiVersion}`,
      { reason: 'AuthFailed', hint: 'update the plugin or the apiVersion in the kubeconfig so they match' },
    );
  }
  const status = parsed.status ?? {};
  if (!status.token && !(status.clientCertificateData && status.clientKeyData)) {
    throw new KubeError(`exec plugin \`${exec.command}\` returned neither a token nor a client certificate and key`, {
      reason: 'AuthFailed',
    });
  }
  return status;
}

/**
 * What of a plugin's stderr may be shown and stored (it ends up in the inbox and the UI): its first non-empty line,
 * scrubbed of tokens and URL credentials, at most 200 characters. Plugins print tokens there more often than one
 * would hope.
 */
export function stderrSummary(stderr: string): string {
  const first = stderr.split('\n').find((l) => l.trim() !== '') ?? '';
  const line = scrubText(first.trim());
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Output kept from a plugin (a credential is a few kilobytes; anything far larger is not one). */
const MAX_OUTPUT = 1 << 20;

/**
 * Runs a plugin in its own process group, so that on timeout the whole group (a plugin that forked a browser or a
 * helper) is killed, not only the process we started; it resolves when the plugin exits, even if a child it left
 * behind still holds the pipes.
 */
export function runProcess(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(0, MAX_OUTPUT)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(0, MAX_OUTPUT)));
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 2000).unref();
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new KubeError(`exec plugin \`${file}\` could not start`, { reason: 'AuthFailed', cause: err }));
    });
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, timedOut });
    };
    // 'close' waits for the pipes; a child the plugin left behind may hold them open, so 'exit' ends it soon after.
    child.on('close', finish);
    child.on('exit', (code, signal) => setTimeout(() => finish(code, signal), 1000).unref());
  });
}
