import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';

import { errorMessage } from '../util/errors.ts';
import { type Logger, silentLogger } from '../util/logger.ts';
import { findHelper } from './helper-path.ts';
import {
  encodeCallbackReply,
  encodeCancel,
  encodeRequest,
  HELM_PROTOCOL_VERSION,
  HelmError,
  type HelmOp,
  type HelmOps,
  type HelperInfo,
  type HelperMessage,
  parseHelperLine,
  splitLines,
} from './protocol.ts';

/** Flux's post-renderers (kustomize patches, images, commonMetadata) applied by the caller to Helm's manifest. */
export type PostRenderer = (manifests: string) => string | Promise<string>;

export interface CallOptions {
  /** Client-side limit; on expiry the helper is told to cancel and the call fails with `Timeout`. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Given for template/install/upgrade: the helper calls back with the rendered manifest (hooks excluded). */
  postRenderer?: PostRenderer;
}

export interface HelmClientOptions {
  /** The helper binary; default: findHelper(). */
  path?: string;
  logger?: Logger;
  /** How long to wait for the helper's hello line. */
  startTimeoutMs?: number;
  /** Default client-side limit for renders and other calls without a Helm timeout. */
  defaultTimeoutMs?: number;
  /** Extra environment for the helper (FLUXDECK_HELM_DEBUG=1 sends Helm's own logs to its stderr). */
  env?: Record<string, string>;
}

interface Pending {
  op: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  postRenderer: PostRenderer | undefined;
  cleanup: () => void;
}

interface Running {
  child: ChildProcessWithoutNullStreams;
  ready: Promise<HelperInfo>;
  stderrTail: string;
}

/** Room beyond Helm's own wait timeout, so Helm reports which resource was not ready before the client gives up. */
const GRACE_MS = 60_000;

const WAITING_OPS = new Set(['install', 'upgrade', 'rollback', 'uninstall', 'test']);

/**
 * The client of the Helm helper: one long-lived child process serving many concurrent requests. It starts the
 * helper on first use, restarts it on the next call after a crash (requests in flight fail with HelperUnavailable),
 * enforces timeouts and cancellation, and answers post-render callbacks. It logs operation names, durations and
 * error codes only: kubeconfigs and values never reach a log.
 */
export class HelmClient {
  private running: Running | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;
  private readonly log: Logger;
  private readonly options: HelmClientOptions;

  constructor(options: HelmClientOptions = {}) {
    this.options = options;
    this.log = (options.logger ?? silentLogger).child({ component: 'helm-helper' });
  }

  /** The running helper's process id, for diagnostics and memory figures; undefined when none runs. */
  get pid(): number | undefined {
    return this.running?.child.pid;
  }

  /** The helper's protocol, Helm and Go versions (starts the helper if needed). */
  async info(): Promise<HelperInfo> {
    return this.start().ready;
  }

  /** Calls one operation. Rejects with a HelmError whose code says what went wrong. */
  async call<O extends HelmOp>(
    op: O,
    params: HelmOps[O]['params'],
    opts: CallOptions = {},
  ): Promise<HelmOps[O]['result']> {
    if (this.disposed) throw new HelmError('HelperUnavailable', 'the Helm client was disposed');
    const run = this.start();
    // The signal may fire while the helper starts; check it on both sides of the wait.
    if (!opts.signal?.aborted) await run.ready;
    if (opts.signal?.aborted) throw new HelmError('Canceled', `helm ${op} was cancelled`);
    const id = this.nextId++;
    const wire = opts.postRenderer ? { ...params, postRender: true } : params;
    const started = performance.now();
    return new Promise<HelmOps[O]['result']>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.defaultTimeout(op, params);
      const timer = setTimeout(() => {
        this.abandon(id, new HelmError('Timeout', `helm ${op} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const onAbort = (): void => this.abandon(id, new HelmError('Canceled', `helm ${op} was cancelled`));
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        op,
        postRenderer: opts.postRenderer,
        resolve: (v) => {
          this.log.debug('helm call done', { op, id, ms: Math.round(performance.now() - started) });
          resolve(v as HelmOps[O]['result']);
        },
        reject: (e) => {
          this.log.debug('helm call failed', { op, id, code: e instanceof HelmError ? e.code : 'Error' });
          reject(e);
        },
        cleanup: () => {
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
        },
      });
      this.write(run, encodeRequest(id, op, wire));
    });
  }

  /** Stops the helper; calls in flight fail with HelperUnavailable. Safe to call twice. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const run = this.running;
    this.running = undefined;
    this.failAll(new HelmError('HelperUnavailable', 'the Helm client was disposed'));
    if (!run || run.child.exitCode !== null) return;
    const exited = new Promise<void>((r) => run.child.once('exit', () => r()));
    run.child.stdin.end();
    const killer = setTimeout(() => run.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  }

  /**
   * Calls that wait in Helm (install, upgrade, rollback, uninstall, test) get Helm's timeout (default 5 minutes) plus
   * grace; the others (renders, pulls, queries) get the client default.
   */
  private defaultTimeout(op: string, params: unknown): number {
    const helmTimeout = (params as { timeoutMs?: number }).timeoutMs;
    if (WAITING_OPS.has(op)) return (helmTimeout ?? 5 * 60_000) + GRACE_MS;
    return Math.max(this.options.defaultTimeoutMs ?? 120_000, (helmTimeout ?? 0) + GRACE_MS);
  }

  private abandon(id: number, err: HelmError): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.cleanup();
    if (this.running) this.write(this.running, encodeCancel(id));
    p.reject(err);
  }

  private failAll(err: HelmError): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.cleanup();
      p.reject(err);
    }
  }

  private write(run: Running, line: string): void {
    if (run.child.stdin.writable) run.child.stdin.write(line);
  }

  private start(): Running {
    if (this.running) return this.running;
    const path = this.options.path ?? findHelper();
    // The helper gets no inherited secrets it does not need; HOME and TMPDIR stay for Helm's caches and temp files.
    const child = spawn(path, [], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: helperEnv({ ...process.env, ...this.options.env }),
    });
    let resolveReady: (i: HelperInfo) => void = () => undefined;
    let rejectReady: (e: Error) => void = () => undefined;
    const run: Running = {
      child,
      stderrTail: '',
      ready: new Promise<HelperInfo>((res, rej) => {
        resolveReady = res;
        rejectReady = rej;
      }),
    };
    // A failed start is reported through the call that awaited it; no unhandled rejection for the others.
    run.ready.catch(() => undefined);
    const startTimer = setTimeout(
      () => rejectReady(new HelmError('HelperUnavailable', `the Helm helper at ${path} did not start`)),
      this.options.startTimeoutMs ?? 30_000,
    );
    let buffer = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const { lines, rest } = splitLines(buffer + chunk);
      buffer = rest;
      for (const line of lines) this.onMessage(run, parseHelperLine(line), resolveReady, rejectReady);
    });
    // A helper that dies while we write gives EPIPE here; its exit handler fails the calls, so the app must not crash.
    child.stdin.on('error', () => undefined);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      run.stderrTail = (run.stderrTail + chunk).slice(-2000);
    });
    child.on('error', (err) => {
      clearTimeout(startTimer);
      this.onExit(run, new HelmError('HelperUnavailable', `cannot run the Helm helper at ${path}`, {}, { cause: err }));
      rejectReady(new HelmError('HelperUnavailable', `cannot run the Helm helper at ${path}: ${errorMessage(err)}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(startTimer);
      const why = signal ? `signal ${signal}` : `code ${String(code)}`;
      const err = new HelmError('HelperUnavailable', `the Helm helper exited (${why}) ${run.stderrTail.trim()}`.trim());
      rejectReady(err);
      this.onExit(run, err);
    });
    void run.ready.then(
      () => clearTimeout(startTimer),
      () => clearTimeout(startTimer),
    );
    this.running = run;
    return run;
  }

  private onExit(run: Running, err: HelmError): void {
    if (this.running !== run) return;
    this.running = undefined;
    if (!this.disposed) this.log.warn('helm helper stopped; it restarts on the next call', { error: err.message });
    this.failAll(err);
  }

  private onMessage(run: Running, msg: HelperMessage, ready: (i: HelperInfo) => void, fail: (e: Error) => void): void {
    switch (msg.kind) {
      case 'hello':
        if (msg.info.protocol !== HELM_PROTOCOL_VERSION) {
          fail(
            new HelmError(
              'HelperUnavailable',
              `the Helm helper speaks protocol ${msg.info.protocol}, this client ${HELM_PROTOCOL_VERSION}; rebuild it with \`npm run helm-helper\``,
            ),
          );
          run.child.kill();
        } else ready(msg.info);
        return;
      case 'response': {
        const p = this.pending.get(msg.id);
        if (!p) return; // abandoned (timeout or cancel): the late answer is dropped
        this.pending.delete(msg.id);
        p.cleanup();
        if (msg.ok) p.resolve(msg.result);
        else p.reject(msg.error);
        return;
      }
      case 'callback':
        this.answerCallback(run, msg.id, msg.request, msg.manifests).catch(() => undefined);
        return;
      case 'invalid':
        this.log.warn('unreadable line from the helm helper', { reason: msg.reason.slice(0, 60) });
        return;
    }
  }

  private async answerCallback(run: Running, id: number, request: number, manifests: string): Promise<void> {
    const renderer = this.pending.get(request)?.postRenderer;
    if (!renderer) {
      this.write(run, encodeCallbackReply(id, { error: 'no post-renderer for this request' }));
      return;
    }
    try {
      this.write(run, encodeCallbackReply(id, { manifests: await renderer(manifests) }));
    } catch (err) {
      this.write(run, encodeCallbackReply(id, { error: `post-renderer: ${errorMessage(err)}` }));
    }
  }
}

/** The environment the helper runs with: the parent's, less variables that carry credentials it must not use. */
export function helperEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (/^(KUBECONFIG|HELM_.*|AWS_.*|AZURE_.*|GOOGLE_.*)$/.test(k)) continue;
    out[k] = v;
  }
  return out;
}
