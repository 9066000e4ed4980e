/**
 * The HTTP half of the registry client: one registry host, TLS options, the token dance, retries, redirects. Effects
 * only; what to ask for is decided by client.ts.
 *
 * - Auth: a request goes out with the token cached for its scope (or Basic when the registry asked for Basic). A 401
 *   with `WWW-Authenticate: Bearer realm=...` gets a token from the realm (anonymously, with Basic credentials, or by
 *   exchanging an identity token) and is retried once. Tokens are cached per scope until `expires_in`.
 * - Redirects follow main/util/http-redirect.ts: blob downloads are routinely redirected to object storage or a CDN,
 *   which must not receive the registry credentials.
 * - Retries: 429 and 5xx (and connection resets) are retried with exponential backoff, honouring Retry-After up to
 *   a cap, for requests whose body can be sent again (all of ours: bodies are buffers).
 * - Nothing here logs; errors carry URLs without userinfo or query (blob redirects carry signed queries).
 */
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

import { largeBodyRequest } from '../util/http-body.ts';
import { isRedirect, type NextRequest, nextRequest, RedirectError } from '../util/http-redirect.ts';
import { basicHeader, type Credentials, parseChallenge } from './credentials.ts';
import { codeForStatus, errorBodySummary, RegistryError } from './errors.ts';
import { apiHost } from './reference.ts';

export interface TlsOptions {
  /** PEM CA bundle trusted in addition to the system roots. */
  ca?: string;
  /** PEM client certificate and key (mutual TLS). */
  cert?: string;
  key?: string;
  /** Accept any server certificate. Only when asked explicitly; never a fallback. */
  skipVerify?: boolean;
}

export interface TransportOptions {
  credentials?: Credentials;
  /** Talk plain HTTP to the registry (Flux's `insecure: true`). */
  plainHttp?: boolean;
  tls?: TlsOptions;
  /** Aborts every request (the reconcile's timeout, app shutdown). */
  signal?: AbortSignal;
  /** Attempts after the first for 429/5xx and resets (default 3). */
  retries?: number;
  /** First backoff step in ms (default 250; doubled per attempt). */
  retryBaseMs?: number;
  /** Longest Retry-After honoured, in ms (default 30 s); longer waits fail instead. */
  maxRetryAfterMs?: number;
  /** Called for every HTTP request sent (method, URL without query): request counting for tests and benchmarks. */
  onRequest?: (method: string, url: string) => void;
  userAgent?: string;
}

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  /** A path on the registry (`/v2/...`) or an absolute URL (upload locations, Link pages). */
  url: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** The token scope, `repository:<name>:pull` or `repository:<name>:pull,push`. */
  scope: string;
}

const RETRY_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN']);
const TOKEN_BODY_LIMIT = 1 << 20;
/** Docker's default when a token response has no expires_in. */
const DEFAULT_TOKEN_SECONDS = 60;

interface CachedToken {
  header: string;
  expires: number;
}

export class Transport {
  readonly registry: string;
  readonly base: URL;
  private readonly opts: TransportOptions;
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly tokens = new Map<string, CachedToken>();
  /** The registry answered a Basic challenge: send Basic pre-emptively from then on. */
  private basic = false;

  constructor(registry: string, opts: TransportOptions = {}) {
    this.registry = registry;
    this.opts = opts;
    this.base = new URL(`${opts.plainHttp ? 'http' : 'https'}://${apiHost(registry)}`);
    this.agent = opts.plainHttp
      ? new HttpAgent({ keepAlive: true })
      : new HttpsAgent({
          keepAlive: true,
          ...(opts.tls?.ca ? { ca: opts.tls.ca } : {}),
          ...(opts.tls?.cert ? { cert: opts.tls.cert } : {}),
          ...(opts.tls?.key ? { key: opts.tls.key } : {}),
          rejectUnauthorized: !opts.tls?.skipVerify,
        });
  }

  close(): void {
    this.agent.destroy();
  }

  /** Sends the request and returns the final response, any status; the caller reads or drains its body. */
  async request(req: RegistryRequest): Promise<IncomingMessage> {
    const retries = this.opts.retries ?? 3;
    let triedAuth = false;
    for (let attempt = 0; ; attempt++) {
      const res = await this.sendFollowing(req, this.authHeader(req.scope));
      const status = res.statusCode ?? 0;
      if (status === 401 && !triedAuth && this.opts.credentials?.kind !== 'bearer') {
        triedAuth = true;
        const answer = this.challengeAnswer(res.headers['www-authenticate'], req.scope);
        if (answer) {
          res.resume();
          await answer();
          attempt--;
          continue;
        }
        return res;
      }
      if ((status === 429 || status >= 500) && attempt < retries) {
        const wait = this.retryDelay(res.headers['retry-after'], attempt);
        res.resume();
        if (wait === undefined) return this.sendFollowing(req, this.authHeader(req.scope));
        await sleep(wait, undefined, this.opts.signal ? { signal: this.opts.signal } : undefined);
        continue;
      }
      return res;
    }
  }

  private retryDelay(retryAfter: string | undefined, attempt: number): number | undefined {
    const base = (this.opts.retryBaseMs ?? 250) * 2 ** attempt;
    if (!retryAfter) return base;
    const seconds = Number(retryAfter);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - Date.now();
    if (!Number.isFinite(ms)) return base;
    if (ms > (this.opts.maxRetryAfterMs ?? 30_000)) return undefined;
    return Math.max(ms, 0);
  }

  private authHeader(scope: string): string | undefined {
    const c = this.opts.credentials;
    if (c?.kind === 'bearer') return `Bearer ${c.token}`;
    const cached = this.tokens.get(scope);
    if (cached && cached.expires > Date.now()) return cached.header;
    if (this.basic && c?.kind === 'basic') return basicHeader(c.username, c.password);
    return undefined;
  }

  /** How to answer a 401 challenge (get a token, or start sending Basic), or undefined when retrying cannot help. */
  private challengeAnswer(header: string | undefined, scope: string): (() => Promise<void>) | undefined {
    const challenge = header ? parseChallenge(header) : undefined;
    if (!challenge) return undefined;
    const creds = this.opts.credentials;
    if (challenge.scheme === 'basic') {
      if (creds?.kind !== 'basic' || this.basic) return undefined;
      return () => {
        this.basic = true;
        return Promise.resolve();
      };
    }
    const { realm, service } = challenge.params;
    if (challenge.scheme !== 'bearer' || !realm) return undefined;
    return async () => {
      this.tokens.set(scope, await this.fetchToken(realm, service, challenge.params.scope ?? scope));
    };
  }

  private async fetchToken(realm: string, service: string | undefined, scope: string): Promise<CachedToken> {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new RegistryError('invalid', `${this.registry} named an invalid token realm`);
    }
    if (url.protocol === 'http:' && this.base.protocol === 'https:') {
      throw new RegistryError(
        'unauthorized',
        `${this.registry} asked for credentials at a plain-http token realm ${url.host}; refused`,
      );
    }
    const creds = this.opts.credentials;
    const params = new URLSearchParams();
    if (service) params.set('service', service);
    if (scope) params.set('scope', scope);
    let res: IncomingMessage;
    if (creds?.kind === 'identity-token') {
      params.set('grant_type', 'refresh_token');
      params.set('refresh_token', creds.token);
      params.set('client_id', 'fluxdeck');
      res = await this.send(
        url,
        'POST',
        { 'content-type': 'application/x-www-form-urlencoded' },
        Buffer.from(params.toString()),
      );
    } else {
      for (const [k, v] of params) url.searchParams.append(k, v);
      const auth: Record<string, string> =
        creds?.kind === 'basic' ? { authorization: basicHeader(creds.username, creds.password) } : {};
      res = await this.send(url, 'GET', auth, undefined);
    }
    const status = res.statusCode ?? 0;
    const body = await readBody(res, TOKEN_BODY_LIMIT, `token from ${url.host}`);
    if (status === 401 || status === 403) {
      throw new RegistryError(
        'unauthorized',
        `${this.registry}: the token service ${url.host} refused the credentials (HTTP ${status})`,
        { status },
      );
    }
    if (status !== 200) {
      throw new RegistryError(
        codeForStatus(status),
        `${this.registry}: the token service ${url.host} answered HTTP ${status}`,
        { status },
      );
    }
    let parsed: { token?: string; access_token?: string; expires_in?: number };
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed;
    } catch (err) {
      throw new RegistryError('invalid', `${this.registry}: the token service ${url.host} sent no JSON`, {
        cause: err,
      });
    }
    const token = parsed.access_token ?? parsed.token;
    if (!token) throw new RegistryError('invalid', `${this.registry}: the token service ${url.host} sent no token`);
    const seconds =
      typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : DEFAULT_TOKEN_SECONDS;
    // Refresh a little early so a token does not expire between check and use.
    return { header: `Bearer ${token}`, expires: Date.now() + Math.max(seconds - 5, 1) * 1000 };
  }

  /** One request with redirects under the shared rule; credentials only for the registry's own origin. */
  private async sendFollowing(req: RegistryRequest, authorization: string | undefined): Promise<IncomingMessage> {
    const url = new URL(req.url, this.base);
    const headers = { ...req.headers, ...(authorization && sameOriginAsBase(url, this.base) ? { authorization } : {}) };
    let next: NextRequest = { url, method: req.method, headers, credentials: true, keepBody: true };
    for (let hops = 0; ; hops++) {
      const res = await this.send(next.url, next.method, next.headers, next.keepBody ? req.body : undefined);
      const status = res.statusCode ?? 0;
      // A 201/202 Location on an upload is not a redirect to follow: only 3xx are.
      if (!isRedirect(status)) return res;
      res.resume();
      try {
        next = nextRequest(next, status, res.headers.location, hops);
      } catch (err) {
        if (err instanceof RedirectError)
          throw new RegistryError('unreachable', `${this.registry}: ${err.message}`, { cause: err });
        throw err;
      }
    }
  }

  /** One HTTP exchange, retried on connection resets. */
  private async send(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
  ): Promise<IncomingMessage> {
    const retries = this.opts.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.sendOnce(url, method, headers, body);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code && RETRY_CODES.has(code) && attempt < retries && !this.opts.signal?.aborted) {
          await sleep((this.opts.retryBaseMs ?? 250) * 2 ** attempt);
          continue;
        }
        throw this.unreachable(url, err);
      }
    }
  }

  private unreachable(url: URL, err: unknown): RegistryError {
    const e = err as { code?: string; name?: string; message?: string };
    const why =
      e.name === 'AbortError' || e.name === 'TimeoutError'
        ? 'timed out or was cancelled'
        : e.code === 'ECONNREFUSED'
          ? 'connection refused'
          : e.code === 'ENOTFOUND'
            ? 'host not found'
            : (e.message ?? String(err));
    return new RegistryError('unreachable', `cannot reach ${url.protocol}//${url.host}${url.pathname}: ${why}`, {
      cause: err,
    });
  }

  private sendOnce(
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
  ): Promise<IncomingMessage> {
    this.opts.onRequest?.(method, `${url.protocol}//${url.host}${url.pathname}`);
    const all: Record<string, string> = { 'user-agent': this.opts.userAgent ?? 'fluxdeck', ...headers };
    if (body) all['content-length'] = String(body.length);
    else if (method === 'PUT' || method === 'POST' || method === 'PATCH') all['content-length'] = '0';
    const ours = url.protocol === this.base.protocol;
    return new Promise((resolve, reject) => {
      const options = {
        method,
        headers: all,
        ...largeBodyRequest,
        // Our agent (and its TLS options) only for the scheme it was made for; a redirect to object storage over
        // https from a plain-http registry uses the default agent and the system roots.
        ...(ours ? { agent: this.agent } : {}),
        ...(this.opts.signal ? { signal: this.opts.signal } : {}),
      };
      const req = url.protocol === 'https:' ? httpsRequest(url, options, resolve) : httpRequest(url, options, resolve);
      req.setTimeout(60_000, () => req.destroy(Object.assign(new Error('no answer for 60 s'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** A RegistryError for an unexpected answer, with the registry's error codes when it sent any. */
  async failure(res: IncomingMessage, what: string): Promise<RegistryError> {
    const status = res.statusCode ?? 0;
    let detail = '';
    if (res.method !== 'HEAD') {
      const body = await readBody(res, 64 * 1024, what).catch(() => Buffer.alloc(0));
      const summary = errorBodySummary(body.toString('utf8'));
      if (summary) detail = ` (${summary})`;
    } else res.resume();
    const hint =
      status === 401 ? ': check the credentials' : status === 403 ? ': the credentials are not allowed to do this' : '';
    return new RegistryError(codeForStatus(status), `${what}: HTTP ${status}${detail}${hint}`, { status });
  }
}

function sameOriginAsBase(url: URL, base: URL): boolean {
  return url.protocol === base.protocol && url.host === base.host;
}

/** Reads a whole (small) body, failing with too-large past `limit` bytes. */
export async function readBody(res: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    res.destroy();
    throw new RegistryError('too-large', `${what} is ${declared} bytes, over the limit of ${limit}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      res.destroy();
      throw new RegistryError('too-large', `${what} is over the limit of ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
