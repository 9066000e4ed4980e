import { createServer } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RestTransport, retryAfterMs } from '../../../main/kube/rest-transport.ts';

// A local HTTP server answering 429 stands in for an apiserver under priority-and-fairness throttling.
let answers: number[] = [];
let seen = 0;
const server = createServer((_req, res) => {
  seen++;
  const status = answers.shift() ?? 200;
  res.writeHead(
    status,
    status === 429
      ? { 'retry-after': '0.05', 'content-type': 'application/json' }
      : { 'content-type': 'application/json' },
  );
  res.end(status === 429 ? '{"kind":"Status","code":429,"reason":"TooManyRequests"}' : '{"ok":true}');
});
let url = '';

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function transport(): RestTransport {
  return new RestTransport({
    context: 'local',
    server: url,
    authenticator: {
      method: 'none',
      credentials: () => Promise.resolve({ tls: { rejectUnauthorized: true }, headers: {}, tlsIdentity: '' }),
      invalidate: () => false,
    },
  });
}

describe('throttling (HTTP 429)', () => {
  it('waits as Retry-After says and sends the request again', async () => {
    answers = [429, 429];
    seen = 0;
    const t = transport();
    const res = await t.request({ method: 'GET', path: '/api' });
    t.close();
    expect(res.status).toBe(200);
    expect(seen).toBe(3);
  });

  it('gives up after a few attempts and returns the 429', async () => {
    answers = Array.from({ length: 10 }, () => 429);
    seen = 0;
    const t = transport();
    const res = await t.request({ method: 'GET', path: '/api' });
    t.close();
    expect(res.status).toBe(429);
    expect(seen).toBe(6);
  });

  it('reads Retry-After in seconds, capped, with a default', () => {
    expect(retryAfterMs('2')).toBe(2000);
    expect(retryAfterMs('120')).toBe(5000);
    expect(retryAfterMs(undefined)).toBe(1000);
    expect(retryAfterMs('soon')).toBe(1000);
  });
});
