/**
 * The HTTP client isomorphic-git talks through. Ours rather than `isomorphic-git/http/node` because a GitOps loop
 * needs what that one lacks: a custom CA (`ca.crt`), cancellation by AbortSignal (timeouts, shutdown), credentials sent
 * pre-emptively, and a count of the bytes received (the benchmark and the incremental-fetch test read it).
 */
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';

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

const MAX_REDIRECTS = 5;
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
    let url = req.url;
    for (let hop = 0; ; hop++) {
      const res = await send(url, req.method ?? 'GET', { ...req.headers, ...opts.headers }, body, opts);
      const location = res.headers.location;
      if (res.statusCode && [301, 302, 303, 307, 308].includes(res.statusCode) && location && hop < MAX_REDIRECTS) {
        res.resume();
        url = new URL(location, url).href;
        continue;
      }
      return {
        url,
        method: req.method ?? 'GET',
        statusCode: res.statusCode ?? 0,
        statusMessage: res.statusMessage ?? '',
        headers: flattenHeaders(res.headers),
        body: count(res),
      };
    }
  };
  return { request, bytesReceived: () => received };
}

function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  opts: HttpClientOptions,
): Promise<IncomingMessage> {
  const u = new URL(url);
  const all: Record<string, string> = { 'user-agent': USER_AGENT, ...headers };
  if (body) all['content-length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const options = {
      method,
      headers: all,
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
