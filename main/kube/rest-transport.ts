import { Agent as HttpAgent, type IncomingHttpHeaders, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import { createGunzip } from 'node:zlib';

import { displayUrl } from '../util/redact.ts';
import type { AuthHealthRegistry } from './auth-health.ts';
import type { Authenticator, Credentials, TlsMaterial } from './authenticator.ts';
import { InFlightLimit } from './in-flight-limit.ts';
import { errorFromNetwork, errorFromResponse, KubeError } from './kube-error.ts';
import { processSendPacer } from './send-pacer.ts';

/**
 * HTTP for one context: keep-alive connections, bodies sent exactly as given (never through client-node's
 * ObjectSerializer, which mangles custom resources and dates; test-control-plane.md §8.1), request counting per verb,
 * and one AbortController that `close()` fires to stop everything in flight, watches included.
 */
const MAX_THROTTLE_RETRIES = 5;

/** `Retry-After` in seconds (capped at 5s; 1s when absent or unreadable). */
export function retryAfterMs(header: string | string[] | undefined): number {
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 5) * 1000 : 1000;
}

export interface RestRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the server URL, e.g. `/api/v1/namespaces/default/configmaps/x`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  /** Already serialised JSON (or YAML for apply patches). */
  body?: string;
  contentType?: string;
  accept?: string;
  headers?: Record<string, string | string[]>;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** What to count this request as (`APPLY`, `LIST`, `WATCH`...); defaults to the method. */
  verb?: string;
}

export interface RestResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface StreamResponse {
  status: number;
  body: IncomingMessage;
}

export interface RequestStats {
  total: number;
  byVerb: Record<string, number>;
}

export interface RestTransportOptions {
  context: string;
  server: string;
  authenticator: Authenticator;
  health?: AuthHealthRegistry;
  /** Concurrent connections for ordinary requests (watches have their own pool). Default 16. */
  maxSockets?: number;
  compression?: boolean;
  userAgent?: string;
  /** Extra headers on every request (impersonation of a service account). */
  headers?: Record<string, string | string[]>;
  defaultTimeoutMs?: number;
  /** Shared by the views `withHeaders` makes, so a cluster's requests are counted in one place. */
  stats?: RequestStats;
  /** Connection pools, shared with the views `withHeaders` makes (same credentials, so same connections). */
  pools?: PoolHolder;
}

interface PoolHolder {
  current?: Pools;
  retired: (HttpsAgent | HttpAgent)[];
  /** Ordinary requests in flight, as many as the request pool has sockets. */
  limit: InFlightLimit;
}

interface Pools {
  identity: string;
  requests: HttpsAgent | HttpAgent;
  streams: HttpsAgent | HttpAgent;
}

/** Connections (and so requests in flight) per cluster for ordinary requests. */
const DEFAULT_MAX_SOCKETS = 16;

export class RestTransport {
  readonly context: string;
  readonly server: string;
  readonly stats: RequestStats;
  readonly #url: URL;
  readonly #opts: RestTransportOptions;
  readonly #closer = new AbortController();
  readonly #pools: PoolHolder;
  readonly #https: boolean;
  readonly #hostname: string;
  readonly #basePath: string;

  constructor(opts: RestTransportOptions) {
    this.#opts = opts;
    this.context = opts.context;
    this.server = opts.server;
    this.stats = opts.stats ?? { total: 0, byVerb: {} };
    this.#pools = opts.pools ?? { retired: [], limit: new InFlightLimit(opts.maxSockets ?? DEFAULT_MAX_SOCKETS) };
    this.#url = new URL(opts.server);
    this.#https = this.#url.protocol === 'https:';
    this.#hostname = this.#url.hostname.replace(/^\[|\]$/g, '');
    this.#basePath = this.#url.pathname.replace(/\/$/, '');
    if (this.#url.protocol !== 'https:' && this.#url.protocol !== 'http:')
      throw new KubeError(`context "${opts.context}": unsupported server URL ${displayUrl(opts.server)}`, {
        reason: 'Unreachable',
      });
  }

  /** Aborted when the transport is closed; long-running work for this cluster should listen to it. */
  get signal(): AbortSignal {
    return this.#closer.signal;
  }

  get closed(): boolean {
    return this.#closer.signal.aborted;
  }

  /** A transport for the same cluster with extra headers (impersonation) sharing the credentials and counters. */
  withHeaders(headers: Record<string, string | string[]>): RestTransport {
    const child = new RestTransport({
      ...this.#opts,
      stats: this.stats,
      pools: this.#pools,
      headers: { ...this.#opts.headers, ...headers },
    });
    // Closing the cluster closes every impersonating view of it too.
    this.#closer.signal.addEventListener('abort', () => child.close(), { once: true });
    return child;
  }

  /** Sends a request; resolves with any HTTP status, rejects only when no answer came (KubeError). */
  async request(req: RestRequest): Promise<RestResponse> {
    const res = await this.#withAuth(req, false);
    const body = await readBody(res.body).catch((err: unknown) => {
      throw this.#networkError(req, err);
    });
    // What the caller does with the answer (parse it, update caches, send the next request) runs when it resolves:
    // one poll phase may complete hundreds of answers, so their continuations share the turn's budget with the sends.
    const wait = processSendPacer.turn();
    if (wait) await wait;
    return { status: res.status, headers: res.body.headers, body };
  }

  /** Opens a streaming response (watches). A non-2xx answer is read fully and thrown as a KubeError. */
  async stream(req: RestRequest): Promise<StreamResponse> {
    const res = await this.#withAuth(req, true);
    if (res.status >= 300) {
      const body = await readBody(res.body).catch(() => '');
      throw errorFromResponse(describe(req), res.status, body);
    }
    return res;
  }

  close(): void {
    if (this.closed) return;
    this.#closer.abort(new KubeError(`connection to context "${this.context}" was closed`, { reason: 'Aborted' }));
    // Views share the parent's pools; only the parent (which owns them) tears the connections down.
    if (this.#opts.pools) return;
    this.#pools.current?.requests.destroy();
    this.#pools.current?.streams.destroy();
    for (const a of this.#pools.retired) a.destroy();
  }

  async #withAuth(req: RestRequest, stream: boolean): Promise<StreamResponse> {
    if (this.closed)
      throw new KubeError(`${describe(req)}: the connection to context "${this.context}" is closed`, {
        reason: 'Aborted',
      });
    const auth = this.#opts.authenticator;
    try {
      let creds = await auth.credentials();
      let res = await this.#send(req, creds, stream);
      if (res.status === 401 && auth.invalidate()) {
        res.body.resume();
        creds = await auth.credentials();
        res = await this.#send(req, creds, stream);
      }
      if (res.status === 401) {
        const body = await readBody(res.body).catch(() => '');
        throw errorFromResponse(describe(req), 401, body);
      }
      // 429 means the apiserver did not process the request (priority and fairness, or a CRD's storage still
      // initialising right after it was established): wait as told and send it again, as client-go does.
      for (let attempt = 1; res.status === 429 && attempt <= MAX_THROTTLE_RETRIES; attempt++) {
        res.body.resume();
        await sleep(retryAfterMs(res.body.headers['retry-after']), undefined, { signal: this.#closer.signal });
        res = await this.#send(req, creds, stream);
      }
      this.#opts.health?.recordSuccess(this.context, auth.method);
      return res;
    } catch (err) {
      this.#opts.health?.recordFailure(this.context, auth.method, err);
      throw err;
    }
  }

  #agents(creds: Credentials): Pools {
    const held = this.#pools.current;
    if (held?.identity === creds.tlsIdentity) return held;
    if (held) this.#pools.retired.push(held.requests, held.streams);
    const make = (maxSockets: number): HttpsAgent | HttpAgent =>
      this.#https
        ? new HttpsAgent({
            keepAlive: true,
            maxSockets,
            maxFreeSockets: maxSockets,
            scheduling: 'lifo',
            ...tlsOptions(creds.tls),
          })
        : new HttpAgent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
    const pools = {
      identity: creds.tlsIdentity,
      requests: make(this.#opts.maxSockets ?? DEFAULT_MAX_SOCKETS),
      streams: make(Number.POSITIVE_INFINITY),
    };
    this.#pools.current = pools;
    return pools;
  }

  async #send(req: RestRequest, creds: Credentials, stream: boolean): Promise<StreamResponse> {
    const verb = req.verb ?? req.method;
    this.stats.total++;
    this.stats.byVerb[verb] = (this.stats.byVerb[verb] ?? 0) + 1;
    try {
      return await this.#attempt(req, creds, stream);
    } catch (err) {
      // A keep-alive socket the server closed just as we reused it: the request never arrived, so send it again.
      if ((err as { reusedSocket?: boolean }).reusedSocket && (err as { code?: string }).code === 'ECONNRESET')
        return this.#attempt(req, creds, stream);
      throw err;
    }
  }

  async #attempt(req: RestRequest, creds: Credentials, stream: boolean): Promise<StreamResponse> {
    if (stream) return this.#sendOnce(req, creds, stream, () => undefined);
    // A slot of the cluster's connections, then a turn with time left: one pacer for the process, as every cluster's
    // sends share the one main thread. The slot is given back when the exchange is over (the answer read, or none).
    const slot = this.#pools.limit.take();
    if (slot) await slot;
    let held = true;
    const release = (): void => {
      if (held) this.#pools.limit.give();
      held = false;
    };
    try {
      const wait = processSendPacer.turn();
      if (wait) await wait;
      return await this.#sendOnce(req, creds, stream, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  #sendOnce(req: RestRequest, creds: Credentials, stream: boolean, release: () => void): Promise<StreamResponse> {
    const pools = this.#agents(creds);
    const headers: Record<string, string | string[] | number> = {
      ...creds.headers,
      ...this.#opts.headers,
      ...req.headers,
      accept: req.accept ?? 'application/json',
      'user-agent': this.#opts.userAgent ?? 'fluxdeck',
    };
    if (this.#opts.compression !== false) headers['accept-encoding'] = 'gzip';
    if (req.body !== undefined) {
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(req.body);
    }
    const path = this.#basePath + req.path + queryString(req.query);
    const timeoutMs = req.timeoutMs ?? (stream ? undefined : (this.#opts.defaultTimeoutMs ?? 60_000));
    // Plain listeners and one timer per request rather than AbortSignal.any/timeout: those cost more CPU than the
    // request itself at a thousand requests a second.
    return new Promise((resolve, reject) => {
      const stopWith = (reason: KubeError): void => {
        r.destroy(reason);
        response?.destroy(reason);
      };
      const onClose = (): void => stopWith(closedError(req, this.context, this.#closer.signal));
      const onAbort = (): void =>
        stopWith(new KubeError(`${describe(req)}: aborted`, { reason: 'Aborted', cause: req.signal?.reason }));
      let response: IncomingMessage | undefined;
      const r = (this.#https ? httpsRequest : httpRequest)(
        {
          protocol: this.#url.protocol,
          hostname: this.#hostname,
          port: this.#url.port || undefined,
          method: req.method,
          path,
          headers,
          agent: stream ? pools.streams : pools.requests,
          servername: creds.tls.servername,
        },
        (res) => {
          response = res;
          // The timeout covers getting an answer; a watch body may stream for as long as it likes.
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: decode(res) });
        },
      );
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(
              () =>
                stopWith(
                  new KubeError(`${describe(req)}: no answer from context "${this.context}" in ${timeoutMs / 1000}s`, {
                    reason: 'Timeout',
                    hint: 'the apiserver is slow or unreachable',
                  }),
                ),
              timeoutMs,
            );
      this.#closer.signal.addEventListener('abort', onClose, { once: true });
      req.signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = (): void => {
        release();
        clearTimeout(timer);
        this.#closer.signal.removeEventListener('abort', onClose);
        req.signal?.removeEventListener('abort', onAbort);
      };
      // Listeners stay until the exchange is over: for a watch that is when its body ends.
      r.on('close', () => {
        if (!response) cleanup();
        else if (response.complete || response.destroyed) cleanup();
        else response.on('close', cleanup);
      });
      r.on('error', (err) => {
        cleanup();
        if (err instanceof KubeError) reject(err);
        else if (r.reusedSocket && (err as { code?: string }).code === 'ECONNRESET')
          reject(Object.assign(err, { reusedSocket: true }));
        else reject(this.#networkError(req, err));
      });
      if (this.#closer.signal.aborted) onClose();
      else if (req.signal?.aborted) onAbort();
      r.end(req.body);
    });
  }

  #networkError(req: RestRequest, err: unknown): KubeError {
    return err instanceof KubeError ? err : errorFromNetwork(describe(req), displayUrl(this.server), err);
  }
}

/**
 * The agent's TLS options: one SecureContext per credentials instead of the raw PEM material. Given `ca`, `cert` and
 * `key`, Node parses them into a new context for every connection and stringifies the buffers into the pool key of
 * every request (`Agent.getName`); with 10 clusters reconciling at once that was ~0.7 s of the main thread (CPU
 * profile, bench clusters). Material Node cannot parse is passed as it is, so the error surfaces on the request as
 * before.
 */
function tlsOptions(
  tls: TlsMaterial,
): TlsMaterial | { secureContext: SecureContext; rejectUnauthorized: boolean; servername?: string } {
  const { ca, cert, key, ...rest } = tls;
  try {
    return { ...rest, secureContext: createSecureContext({ ca, cert, key }) };
  } catch {
    return tls;
  }
}

function describe(req: RestRequest): string {
  return `${req.verb ?? req.method} ${req.path}`;
}

function closedError(req: RestRequest, context: string, signal: AbortSignal): KubeError {
  const reason: unknown = signal.reason;
  return reason instanceof KubeError
    ? reason
    : new KubeError(`${describe(req)}: the connection to context "${context}" was closed`, { reason: 'Aborted' });
}

function queryString(q: RestRequest['query']): string {
  if (!q) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) if (v !== undefined) parts.push(`${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

function decode(res: IncomingMessage): IncomingMessage {
  if (res.headers['content-encoding'] !== 'gzip') return res;
  // Keep the IncomingMessage type for callers (headers, destroy); the data events come from the gunzip stream.
  const gunzip = createGunzip();
  res.pipe(gunzip);
  res.on('error', (e) => gunzip.destroy(e));
  const destroyGunzip = gunzip.destroy.bind(gunzip);
  return Object.assign(gunzip, {
    headers: res.headers,
    statusCode: res.statusCode,
    // Destroying the decoded stream (an aborted watch) must also close the connection underneath.
    destroy: (e?: Error) => {
      res.destroy(e);
      return destroyGunzip(e);
    },
  }) as unknown as IncomingMessage;
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('response aborted')));
  });
}
