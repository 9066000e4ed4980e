/**
 * Sends one ProviderRequest over HTTP(S) the way Flux's notifiers do (go-retryablehttp): retries on connection
 * errors, 429 and 5xx (not 501) with exponential backoff, the whole send bounded by the Provider's timeout, any
 * non-2xx answer an error. Only the outcome is returned: the caller keeps the delivery log.
 */
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

import { errorMessage } from '../../util/errors.ts';
import { parseProxyUrl, requestViaProxy } from '../../util/http-proxy.ts';
import { sleep } from '../../util/sleep.ts';
import type { ProviderRequest } from './provider-request.ts';

export interface DeliveryOptions {
  /** The whole send, retries included (Provider spec.timeout, default 15 s). */
  timeoutMs: number;
  /** Retries after the first attempt (retryablehttp's default 4). */
  maxRetries?: number;
  /** First backoff (default 1 s), doubled per retry up to maxBackoffMs (default 30 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** PEM CA bundle from certSecretRef (`ca.crt`). */
  ca?: string;
  /** `http://[user:password@]host:port`: sends go through this HTTP proxy (CONNECT for https targets). */
  proxy?: string;
  /** Values masked in error messages (the token), as Flux masks them before logging. */
  secrets?: string[];
}

export interface DeliveryOutcome {
  ok: boolean;
  /** The last HTTP status, when there was an answer. */
  status?: number;
  attempts: number;
  latencyMs: number;
  error?: string;
}

const MAX_ERROR_BODY = 512;

interface Answer {
  status: number;
  body: string;
}

function send(req: ProviderRequest, signal: AbortSignal, opts: Pick<DeliveryOptions, 'ca' | 'proxy'>): Promise<Answer> {
  const url = new URL(req.url);
  const options = {
    method: req.method,
    headers: { ...req.headers, 'Content-Length': Buffer.byteLength(req.body) },
    signal,
    ...(opts.ca && url.protocol === 'https:' ? { ca: opts.ca } : {}),
  };
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage): void => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < MAX_ERROR_BODY) body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.slice(0, MAX_ERROR_BODY) }));
      res.on('error', reject);
    };
    const r = opts.proxy
      ? requestViaProxy(url, parseProxyUrl(opts.proxy), options)
      : (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options);
    r.on('response', onResponse);
    r.on('error', reject);
    r.end(req.body);
  });
}

function retryable(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501);
}

function mask(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.replaceAll(s, '*****');
  return out;
}

export async function deliver(req: ProviderRequest, opts: DeliveryOptions): Promise<DeliveryOutcome> {
  const first = await deliverOne(req, opts);
  if (!first.ok || !req.then) return first;
  // A follow-up (PagerDuty's change event) goes out only after the first request succeeded, as Flux sends them.
  const next = await deliver(req.then, opts);
  return { ...next, attempts: first.attempts + next.attempts, latencyMs: first.latencyMs + next.latencyMs };
}

async function deliverOne(req: ProviderRequest, opts: DeliveryOptions): Promise<DeliveryOutcome> {
  const started = performance.now();
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const maxRetries = opts.maxRetries ?? 4;
  let backoff = opts.backoffMs ?? 1000;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  const secrets = opts.secrets ?? [];
  let attempts = 0;
  let status: number | undefined;
  let error: string;
  for (;;) {
    attempts++;
    try {
      const answer = await send(req, deadline, opts);
      status = answer.status;
      if (status >= 200 && status < 300) {
        return { ok: true, status, attempts, latencyMs: performance.now() - started };
      }
      error = `request failed with status code ${status}${answer.body ? `: ${answer.body}` : ''}`;
      if (!retryable(status)) break;
    } catch (err) {
      error = deadline.aborted ? `timed out after ${opts.timeoutMs} ms` : errorMessage(err);
    }
    if (deadline.aborted || attempts > maxRetries) break;
    await sleep(backoff, deadline);
    // The deadline can fire while sleeping; TypeScript cannot see that.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    if (deadline.aborted) {
      error = `timed out after ${opts.timeoutMs} ms (${attempts} attempts; last: ${error})`;
      break;
    }
    backoff = Math.min(backoff * 2, maxBackoff);
  }
  return {
    ok: false,
    ...(status !== undefined ? { status } : {}),
    attempts,
    latencyMs: performance.now() - started,
    error: mask(`postMessage failed: ${error}`, secrets),
  };
}
