// The registry client's token dance and rate-limit handling against a small registry front on loopback that speaks the
// distribution spec's auth flow (401 + WWW-Authenticate Bearer, a token service, 429 + Retry-After). The real
// distribution registry covers anonymous and htpasswd in test/integration/registry; this covers what it cannot be
// configured to do without a JWT issuer.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterEach, describe, expect, it } from 'vitest';

import { RegistryClient, RegistryError } from '../../../main/registry/index.ts';

interface Front {
  host: string;
  tokenRequests: URL[];
  tagRequests: number;
  server: Server;
}

let front: Front | undefined;

/** A registry that wants `Bearer good-token` for `repository:app:pull`, issued to docker:secret (or anyone). */
async function startFront(opts: { anonymous?: boolean; throttle?: number; retryAfter?: string } = {}): Promise<Front> {
  const f = { host: '', tokenRequests: [] as URL[], tagRequests: 0 } as Front;
  let throttled = 0;
  f.server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', `http://${f.host}`);
    if (url.pathname === '/token') {
      f.tokenRequests.push(url);
      const basic = `Basic ${Buffer.from('docker:secret').toString('base64')}`;
      if (!opts.anonymous && req.headers.authorization !== basic) return void res.writeHead(401).end();
      if (url.searchParams.get('scope') !== 'repository:app:pull' || url.searchParams.get('service') !== 'reg')
        return void res.writeHead(400).end();
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"token":"good-token","expires_in":300}');
    }
    f.tagRequests++;
    if (req.headers.authorization !== 'Bearer good-token') {
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="http://${f.host}/token",service="reg",scope="repository:app:pull"`,
      });
      return void res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    }
    if (throttled < (opts.throttle ?? 0)) {
      throttled++;
      return void res
        .writeHead(429, { 'retry-after': opts.retryAfter ?? '0' })
        .end('{"errors":[{"code":"TOOMANYREQUESTS"}]}');
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"name":"app","tags":["v1","v2"]}');
  });
  await new Promise<void>((ok) => f.server.listen(0, '127.0.0.1', ok));
  f.host = `127.0.0.1:${(f.server.address() as AddressInfo).port}`;
  return f;
}

afterEach(async () => {
  await new Promise((ok) => front?.server.close(ok));
  front = undefined;
});

describe('registry token auth', () => {
  it('gets an anonymous token for the challenged scope once and reuses it', async () => {
    front = await startFront({ anonymous: true });
    const client = new RegistryClient(front.host, { plainHttp: true });
    try {
      expect(await client.tags('app')).toEqual(['v1', 'v2']);
      expect(await client.tags('app')).toEqual(['v1', 'v2']);
    } finally {
      client.close();
    }
    expect(front.tokenRequests).toHaveLength(1);
    expect(front.tokenRequests[0]?.searchParams.get('scope')).toBe('repository:app:pull');
    expect(front.tagRequests).toBe(3); // one challenged, two with the token
  });

  it('trades Basic credentials for a token, and says the token service refused wrong ones without echoing them', async () => {
    front = await startFront();
    const good = new RegistryClient(front.host, {
      plainHttp: true,
      credentials: { kind: 'basic', username: 'docker', password: 'secret' },
    });
    const bad = new RegistryClient(front.host, {
      plainHttp: true,
      credentials: { kind: 'basic', username: 'docker', password: 'hunter2' },
    });
    try {
      expect(await good.tags('app')).toEqual(['v1', 'v2']);
      const err = await bad.tags('app').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as RegistryError).code).toBe('unauthorized');
      expect((err as Error).message).toContain('refused the credentials');
      expect((err as Error).message).not.toContain('hunter2');
    } finally {
      good.close();
      bad.close();
    }
  });
});

describe('registry rate limits', () => {
  it('waits out 429 Retry-After and succeeds', async () => {
    front = await startFront({ anonymous: true, throttle: 2, retryAfter: '0' });
    const client = new RegistryClient(front.host, { plainHttp: true, retryBaseMs: 1 });
    try {
      expect(await client.tags('app')).toEqual(['v1', 'v2']);
    } finally {
      client.close();
    }
    expect(front.tagRequests).toBe(4); // challenged, throttled twice, then served
  });

  it('gives up with a server error after its retries, and at once on a Retry-After longer than it waits', async () => {
    front = await startFront({ anonymous: true, throttle: 100, retryAfter: '0' });
    const client = new RegistryClient(front.host, { plainHttp: true, retries: 2, retryBaseMs: 1 });
    const patient = await client.tags('app').catch((e: unknown) => e);
    client.close();
    expect((patient as RegistryError).code).toBe('server');
    expect(front.tagRequests).toBe(4); // challenged, then 1 + 2 retries

    await new Promise((ok) => front?.server.close(ok));
    front = await startFront({ anonymous: true, throttle: 100, retryAfter: '3600' });
    const hasty = new RegistryClient(front.host, { plainHttp: true, maxRetryAfterMs: 1000 });
    const err = await hasty.tags('app').catch((e: unknown) => e);
    hasty.close();
    expect((err as RegistryError).code).toBe('server');
    expect(front.tagRequests).toBeLessThanOrEqual(3);
  });
});
