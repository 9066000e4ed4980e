import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { deliver } from '../../../main/notify/providers/http-delivery.ts';
import type { ProviderRequest } from '../../../main/notify/providers/provider-request.ts';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A sink on 127.0.0.1 that records requests and answers with the status `answer(n)` gives for the n-th. */
async function sink(answer: (n: number) => number | 'hang'): Promise<{ url: string; seen: Recorded[] }> {
  const seen: Recorded[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const a = answer(seen.length);
      if (a === 'hang') return;
      res.writeHead(a).end(a >= 400 ? 'boom token-xyz' : '');
    });
  });
  servers.push(server);
  server.keepAliveTimeout = 1;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, seen };
}

const request = (url: string): ProviderRequest => ({
  method: 'POST',
  url,
  headers: { 'Content-Type': 'application/json', 'X-Signature': 'sha256=abc' },
  body: '{"message":"hi"}',
});

const fast = { timeoutMs: 5000, backoffMs: 5, maxBackoffMs: 20 };

describe('deliver', () => {
  it('sends method, path, headers and body once on success', async () => {
    const s = await sink(() => 200);
    const out = await deliver(request(s.url), fast);
    expect(out).toMatchObject({ ok: true, status: 200, attempts: 1 });
    expect(s.seen).toHaveLength(1);
    expect(s.seen[0]).toMatchObject({ method: 'POST', url: '/hook', body: '{"message":"hi"}' });
    expect(s.seen[0]?.headers['x-signature']).toBe('sha256=abc');
    expect(s.seen[0]?.headers['content-type']).toBe('application/json');
  });

  it('retries a 500 with backoff and delivers exactly once after recovery', async () => {
    const s = await sink((n) => (n <= 2 ? 500 : 202));
    const out = await deliver(request(s.url), fast);
    expect(out).toMatchObject({ ok: true, status: 202, attempts: 3 });
    expect(s.seen.map((r) => r.body)).toEqual(Array(3).fill('{"message":"hi"}'));
  });

  it('gives up after the retries with the last status and a masked error', async () => {
    const s = await sink(() => 503);
    const out = await deliver(request(s.url), { ...fast, maxRetries: 2, secrets: ['token-xyz'] });
    expect(out).toMatchObject({ ok: false, status: 503, attempts: 3 });
    expect(out.error).toBe('postMessage failed: request failed with status code 503: boom *****');
    expect(s.seen).toHaveLength(3);
  });

  it('does not retry a 4xx other than 429', async () => {
    const s = await sink(() => 404);
    const out = await deliver(request(s.url), fast);
    expect(out).toMatchObject({ ok: false, status: 404, attempts: 1 });
  });

  it('a refused connection is retried then reported', async () => {
    const s = await sink(() => 200);
    const url = s.url;
    await new Promise((r) => servers.pop()?.close(r));
    const out = await deliver(request(url), { ...fast, maxRetries: 1 });
    expect(out.ok).toBe(false);
    expect(out.attempts).toBe(2);
    expect(out.error).toMatch(/ECONNREFUSED/);
  });

  it('a sink that never answers ends at the timeout', async () => {
    const s = await sink(() => 'hang');
    const out = await deliver(request(s.url), { ...fast, timeoutMs: 300 });
    expect(out.ok).toBe(false);
    expect(out.error).toMatch(/timed out after 300 ms/);
    expect(out.status).toBeUndefined();
  });
});
