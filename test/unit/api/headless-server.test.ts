import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import {
  allowedHostHeaders,
  authenticate,
  cookieName,
  originAllowed,
  tokensEqual,
} from '../../../main/headless/access.ts';
import { type HeadlessRun, runHeadless } from '../../../main/headless/index.ts';
import { silentLogger } from '../../../main/util/logger.ts';
import { clusterInfo, createMemoryEngine } from '../../support/memory-engine.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens a socket and resolves with the HTTP status that refused it, or 101 once it is open. */
function connect(url: string, headers: Record<string, string>): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('error', () => resolve({ status: -1 }));
  });
}

function nextMessage(ws: WebSocket): Promise<unknown> {
  return new Promise((resolve) => ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString()))));
}

describe('the access rules of fluxdeck serve', () => {
  const policy = { token: 's3cret-token', port: 4000, hosts: ['127.0.0.1', 'localhost', '[::1]'] };

  it('compares tokens exactly', () => {
    expect(tokensEqual('s3cret-token', 's3cret-token')).toBe(true);
    expect(tokensEqual('s3cret-tokeN', 's3cret-token')).toBe(false);
    expect(tokensEqual('s3cret', 's3cret-token')).toBe(false);
    expect(tokensEqual(undefined, 's3cret-token')).toBe(false);
  });

  it('accepts the token from the query, the per-port cookie or a bearer header, and nothing else', () => {
    const q = (s: string): URLSearchParams => new URLSearchParams(s);
    expect(authenticate({}, q('token=s3cret-token'), policy)).toBe('query');
    expect(authenticate({ cookie: `a=b; ${cookieName(4000)}=s3cret-token` }, q(''), policy)).toBe('cookie');
    expect(authenticate({ authorization: 'Bearer s3cret-token' }, q(''), policy)).toBe('bearer');
    expect(authenticate({ cookie: `${cookieName(4001)}=s3cret-token` }, q(''), policy)).toBeUndefined();
    expect(authenticate({ cookie: 'token=s3cret-token' }, q('token=wrong'), policy)).toBeUndefined();
    expect(authenticate({}, q(''), policy)).toBeUndefined();
  });

  it('allows only this server’s own origin, and clients that send none', () => {
    expect(allowedHostHeaders(policy).has('localhost:4000')).toBe(true);
    expect(originAllowed({ origin: 'http://127.0.0.1:4000' }, policy)).toBe(true);
    expect(originAllowed({ origin: 'http://localhost:4000' }, policy)).toBe(true);
    expect(originAllowed({ origin: 'http://127.0.0.1:4001' }, policy)).toBe(false);
    expect(originAllowed({ origin: 'https://evil.example' }, policy)).toBe(false);
    expect(originAllowed({ origin: 'null' }, policy)).toBe(false);
    expect(originAllowed({}, policy)).toBe(true);
  });
});

describe('fluxdeck serve over HTTP and WebSocket', () => {
  let dir: string;
  let run: HeadlessRun;
  let port: number;
  const token = 'test-token-0123456789';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fluxdeck-renderer-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>Fluxdeck</title>');
    await writeFile(join(dir, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(join(tmpdir(), 'fluxdeck-outside.txt'), 'secret');
    const engine = createMemoryEngine();
    engine.putCluster(clusterInfo('prod', 'connected'));
    run = await runHeadless({ engine, logger: silentLogger, rendererDir: dir, token });
    port = run.server.port;
  });
  afterAll(async () => {
    await run.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('prints a loopback URL that carries the token', () => {
    expect(run.server.url).toBe(`http://127.0.0.1:${port}/?token=${token}`);
  });

  it('refuses the page without the token or with a wrong one', async () => {
    expect((await get(port, '/')).status).toBe(401);
    const wrong = await get(port, '/?token=not-the-token');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('fluxdeck serve');
    expect((await get(port, '/assets/app.js')).status).toBe(401);
  });

  it('trades the token in the URL for an HttpOnly, SameSite cookie and drops it from the address', async () => {
    const r = await get(port, `/?token=${token}`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/');
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toContain(`${cookieName(port)}=${token}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
  });

  it('serves the page with the cookie, with the CSP and no caching of the page', async () => {
    const r = await get(port, '/', { cookie: `${cookieName(port)}=${token}` });
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>Fluxdeck</title>');
    expect(r.headers['content-security-policy']).toContain("script-src 'self'");
    expect(r.headers['content-security-policy']).not.toContain('unsafe-eval');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves the renderer’s assets whole and cacheable, and the page fresh from disk every time', async () => {
    const auth = { cookie: `${cookieName(port)}=${token}` };
    const big = 'x'.repeat(300_000);
    await writeFile(join(dir, 'assets', 'big.js'), big);
    const r = await get(port, '/assets/big.js', auth);
    expect(r.status).toBe(200);
    expect(r.body).toBe(big);
    expect(r.headers['content-length']).toBe(String(big.length));
    expect(r.headers['content-type']).toMatch(/javascript/);
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await get(port, '/assets/absent.js', auth)).status).toBe(404);
    // The page changes when the renderer is rebuilt under a running server; a hashed asset never does.
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>Fluxdeck</title><!-- rebuilt -->');
    expect((await get(port, '/', auth)).body).toContain('rebuilt');
  });

  it('never serves a file outside the renderer folder', async () => {
    const auth = { cookie: `${cookieName(port)}=${token}` };
    for (const path of [
      '/../fluxdeck-outside.txt',
      '/%2e%2e/fluxdeck-outside.txt',
      '/assets/..%2f..%2ffluxdeck-outside.txt',
      '/%00',
    ]) {
      const r = await get(port, path, auth);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain('secret');
    }
  });

  it('refuses requests naming another host (DNS rebinding)', async () => {
    const r = await get(port, `/?token=${token}`, { host: `evil.example:${port}` });
    expect(r.status).toBe(421);
  });

  it('refuses a WebSocket without the token, with a wrong token, or from a foreign origin', async () => {
    const url = `ws://127.0.0.1:${port}/api/ws`;
    expect((await connect(url, {})).status).toBe(401);
    expect((await connect(url, { authorization: 'Bearer wrong-token' })).status).toBe(401);
    expect(
      (await connect(url, { cookie: `${cookieName(port)}=wrong`, origin: `http://127.0.0.1:${port}` })).status,
    ).toBe(401);
    expect(
      (await connect(url, { cookie: `${cookieName(port)}=${token}`, origin: 'https://evil.example' })).status,
    ).toBe(403);
  });

  it('stays up after a malformed cookie before authentication, on the socket and over HTTP', async () => {
    const bad = { cookie: `${cookieName(port)}=%E0%A4%A`, origin: `http://127.0.0.1:${port}` };
    expect((await connect(`ws://127.0.0.1:${port}/api/ws`, bad)).status).toBe(401);
    expect((await get(port, '/', { cookie: bad.cookie })).status).toBe(401);
    // Still serving: the real token still works.
    expect((await get(port, '/', { cookie: `${cookieName(port)}=${token}` })).status).toBe(200);
  });

  it('accepts its cookie when another service on the host planted one of the same name first', async () => {
    const cookie = `${cookieName(port)}=planted; ${cookieName(port)}=%E0%A4%A; ${cookieName(port)}=${token}`;
    expect((await get(port, '/', { cookie })).status).toBe(200);
    const { status, ws } = await connect(`ws://127.0.0.1:${port}/api/ws`, {
      cookie,
      origin: `http://127.0.0.1:${port}`,
    });
    expect(status).toBe(101);
    ws?.close();
  });

  it('accepts its own page’s socket and answers requests with Results', async () => {
    const { status, ws } = await connect(`ws://127.0.0.1:${port}/api/ws`, {
      cookie: `${cookieName(port)}=${token}`,
      origin: `http://127.0.0.1:${port}`,
    });
    expect(status).toBe(101);
    if (!ws) return;
    const reply = nextMessage(ws);
    ws.send(JSON.stringify({ type: 'request', id: 7, channel: 'clusters:list', payload: {} }));
    expect(await reply).toMatchObject({ type: 'response', id: 7, result: { ok: true, value: [{ name: 'prod' }] } });
    const refused = nextMessage(ws);
    ws.send(JSON.stringify({ type: 'request', id: 8, channel: 'clusters:connect', payload: { cluster: 7 } }));
    expect(await refused).toMatchObject({
      type: 'response',
      id: 8,
      result: { ok: false, error: { code: 'invalid-request' } },
    });
    ws.close();
  });

  it('closes a socket that sends something other than a request frame', async () => {
    const { ws } = await connect(`ws://127.0.0.1:${port}/api/ws`, { authorization: `Bearer ${token}` });
    if (!ws) throw new Error('no socket');
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('{"type":"hello"}');
    expect(await closed).toBe(1008);
  });
});
