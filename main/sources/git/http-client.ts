/**
 * The HTTP client isomorphic-git talks through. Ours rather than `isomorphic-git/http/node` because a GitOps loop
 * needs what that one lacks: a custom CA (`ca.crt`), cancellation by AbortSignal (timeouts, shutdown), credentials sent
 * pre-emptively, and a count of the bytes received (the benchmark and the incremental-fetch test read it).
 */
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';

import { largeBodyRequest } from '../../util/http-body.ts';
import { isRedirect, type NextRequest, nextRequest } from '../../util/http-redirect.ts';

export interface HttpClientOptions {
  /** Sent with every request (Authorization, ...). */
  headers?: Record<string, string>;
  caCert?: string;
  signal?: AbortSignal;
}

export interface CountingHttpClient extends HttpClient {
  /** Response body bytes received so far. */
  bytesReceived(): number;
}

const USER_AGENT = 'fluxdeck-source (isomorphic-git)';

export function createHttpClient(opts: HttpClientOptions): CountingHttpClient {
  let received = 0;
  const count = async function* (res: IncomingMessage): AsyncIterableIterator<Uint8Array> {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      received += chunk.length;
      yield chunk;
    }
  };
  const request = async (req: GitHttpRequest): Promise<GitHttpResponse> => {
    const body = req.body ? Buffer.concat(await collect(req.body)) : undefined;
    // Redirects follow the shared rule (main/util/http-redirect.ts): credentials stay with the origin they were
    // given for, https never falls back to http, and the chain is capped.
    let next: NextRequest = {
      url: new URL(req.url),
      method: req.method ?? 'GET',
      headers: { ...req.headers, ...opts.headers },
      credentials: true,
      keepBody: true,
    };
    for (let hops = 0; ; hops++) {
      const res = await send(next.url, next.method, next.headers, next.keepBody ? body : undefined, opts);
      const status = res.statusCode ?? 0;
      if (isRedirect(status)) {
        res.resume();
        next = nextRequest(next, status, res.headers.location, hops);
        continue;
      }
      return {
        url: next.url.href,
        method: next.method,
        statusCode: status,
        statusMessage: res.statusMessage ?? '',
        headers: flattenHeaders(res.headers),
        body: count(res),
      };
    }
  };
  return { request, bytesReceived: () => received };
}

function send(
  u: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  opts: HttpClientOptions,
): Promise<IncomingMessage> {
  const all: Record<string, string> = { 'user-agent': USER_AGENT, ...headers };
  if (body) all['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const options = {
      method,
      headers: all,
      ...largeBodyRequest,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.caCert && u.protocol === 'https:' ? { ca: opts.caCert } : {}),
    };
    const req = u.protocol === 'https:' ? httpsRequest(u, options, resolve) : httpRequest(u, options, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

async function collect(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of body) out.push(chunk);
  return out;
}

function flattenHeaders(h: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
