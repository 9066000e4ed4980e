/**
 * GET over HTTP(S) for Helm chart repositories: the index and the chart archives. Basic auth is sent pre-emptively as
 * Helm's getter does; redirects follow the one rule in util/http-redirect.ts, so credentials never reach another
 * origin. A private CA and a client certificate come from the repository's Secret. The body is bounded, because an
 * index or a chart that grows without end must not take the app's memory with it.
 */
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

import { largeBodyRequest } from '../../util/http-body.ts';
import { isRedirect, nextRequest, type RedirectRequest, withoutUserinfo } from '../../util/http-redirect.ts';

export interface HttpAuth {
  username?: string;
  password?: string;
  caPEM?: string;
  certPEM?: string;
  keyPEM?: string;
}

export interface GetOptions {
  auth?: HttpAuth;
  /** Send the basic credentials with this request (false for chart URLs on another host without passCredentials). */
  sendCredentials: boolean;
  signal: AbortSignal;
  maxBytes: number;
}

/** A failed GET: `status` is the HTTP status when the server answered, `reason` the Flux reason it maps to. */
export class HttpGetError extends Error {
  override readonly name = 'HttpGetError';
  readonly status: number | undefined;
  readonly reason: 'AuthenticationFailed' | 'Failed';
  constructor(message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.reason = status === 401 || status === 403 ? 'AuthenticationFailed' : 'Failed';
  }
}

function send(req: RedirectRequest, opts: GetOptions): Promise<IncomingMessage> {
  const tls = req.url.protocol === 'https:';
  const fn = tls ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = fn(
      req.url,
      {
        method: 'GET',
        headers: req.headers,
        signal: opts.signal,
        ...largeBodyRequest,
        ...(tls && opts.auth?.caPEM ? { ca: opts.auth.caPEM } : {}),
        ...(tls && opts.auth?.certPEM && opts.auth.keyPEM ? { cert: opts.auth.certPEM, key: opts.auth.keyPEM } : {}),
      },
      resolve,
    );
    r.on('error', reject);
    r.end();
  });
}

async function readBody(res: IncomingMessage, maxBytes: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      res.destroy();
      throw new HttpGetError(`${what} exceeds the maximum size of ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function basicHeader(auth: HttpAuth | undefined): Record<string, string> {
  if (!auth?.username && !auth?.password) return {};
  const token = Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64');
  return { Authorization: `Basic ${token}` };
}

/** GETs `url` and returns the body; throws HttpGetError naming the URL (never the credentials). */
export async function httpGet(url: string, opts: GetOptions): Promise<Buffer> {
  let req: RedirectRequest = {
    url: new URL(url),
    method: 'GET',
    headers: { 'User-Agent': 'fluxdeck', ...(opts.sendCredentials ? basicHeader(opts.auth) : {}) },
    credentials: opts.sendCredentials,
  };
  const shown = withoutUserinfo(req.url).href;
  for (let hops = 0; ; hops++) {
    let res: IncomingMessage;
    try {
      res = await send(req, opts);
    } catch (err) {
      throw new HttpGetError(`GET ${shown}: ${(err as Error).message}`, undefined, { cause: err });
    }
    const status = res.statusCode ?? 0;
    if (isRedirect(status)) {
      res.resume();
      req = nextRequest(req, status, res.headers.location, hops);
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new HttpGetError(`GET ${shown}: HTTP ${status}${status === 401 ? ' (unauthorized)' : ''}`, status);
    }
    return readBody(res, opts.maxBytes, shown);
  }
}
