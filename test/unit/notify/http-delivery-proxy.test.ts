import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Provider } from '../../../main/flux/notification.ts';
import { deliver } from '../../../main/notify/providers/http-delivery.ts';
import { ProviderConfigError } from '../../../main/notify/providers/provider-request.ts';
import { providerSettings } from '../../../main/notify/providers/provider-settings.ts';
import { type RecordingProxy, startConnectProxy } from '../../support/connect-proxy.ts';
import { type HttpSink, startHttpSink } from '../../support/http-sink.ts';
import { makeTestPki, type TestPki } from '../../support/tls.ts';

// Deliveries through a real forward proxy on 127.0.0.1: a CONNECT tunnel for https (TLS end to end, the CA from
// certSecretRef still checked), absolute form for http, Proxy-Authorization from the proxy URL's credentials.

let dir: string;
let pki: TestPki;
let https: Server;
let httpsUrl: string;
const seen: { path: string; body: string; proxyAuth?: string }[] = [];
let plain: HttpSink;
let proxy: RecordingProxy;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fluxdeck-proxy-'));
  pki = await makeTestPki(dir);
  https = createHttpsServer({ cert: await readFile(pki.certFile), key: await readFile(pki.keyFile) }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const proxyAuth = req.headers['proxy-authorization'];
      seen.push({ path: req.url ?? '', body, ...(proxyAuth ? { proxyAuth } : {}) });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
  httpsUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
  plain = await startHttpSink();
  proxy = await startConnectProxy({ username: 'px', password: 'p@ss' });
});

afterAll(async () => {
  await proxy.close();
  await plain.close();
  await new Promise((r) => https.close(r));
  await rm(dir, { recursive: true, force: true });
});

const withAuth = (): string => proxy.url.replace('http://', `http://px:${encodeURIComponent('p@ss')}@`);

describe('deliveries through an HTTP proxy', () => {
  it('https goes through a CONNECT tunnel with Proxy-Authorization; the target never sees the credentials', async () => {
    const out = await deliver(
      { method: 'POST', url: `${httpsUrl}/hook`, headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' },
      { timeoutMs: 5000, ca: pki.ca, proxy: withAuth(), maxRetries: 0 },
    );
    expect(out).toMatchObject({ ok: true, status: 202 });
    const port = new URL(httpsUrl).port;
    expect(proxy.uses).toContainEqual({
      method: 'CONNECT',
      target: `127.0.0.1:${port}`,
      authorization: `Basic ${Buffer.from('px:p@ss').toString('base64')}`,
    });
    expect(seen.at(-1)).toEqual({ path: '/hook', body: '{"a":1}' });
  });

  it('the CA is still verified inside the tunnel: an untrusted certificate fails', async () => {
    const out = await deliver(
      { method: 'POST', url: `${httpsUrl}/hook`, headers: {}, body: '{}' },
      { timeoutMs: 3000, proxy: withAuth(), maxRetries: 0 },
    );
    expect(out.ok).toBe(false);
    expect(out.error).toMatch(/certificate/i);
  });

  it('http goes to the proxy in absolute form', async () => {
    const out = await deliver(
      { method: 'POST', url: `${plain.url}/plain?x=1`, headers: {}, body: 'hi' },
      { timeoutMs: 5000, proxy: withAuth(), maxRetries: 0 },
    );
    expect(out).toMatchObject({ ok: true, status: 200 });
    expect(proxy.uses.at(-1)).toMatchObject({ method: 'POST', target: `${plain.url}/plain?x=1` });
    expect(plain.requests.at(-1)).toMatchObject({ path: '/plain?x=1', body: 'hi' });
    expect(plain.requests.at(-1)?.headers['proxy-authorization']).toBeUndefined();
  });

  it('wrong proxy credentials: the proxy refuses and the delivery fails without reaching the target', async () => {
    const before = seen.length;
    const out = await deliver(
      { method: 'POST', url: `${httpsUrl}/hook`, headers: {}, body: '{}' },
      { timeoutMs: 3000, ca: pki.ca, proxy: proxy.url.replace('http://', 'http://px:wrong@'), maxRetries: 0 },
    );
    expect(out.ok).toBe(false);
    expect(out.error).toContain('407');
    expect(out.error).not.toContain('wrong');
    expect(seen.length).toBe(before);
  });
});

describe('the proxy a Provider asks for, as notification-controller reads it', () => {
  const provider = (spec: Partial<Provider['spec']>): Provider => ({
    apiVersion: 'notification.toolkit.fluxcd.io/v1beta3',
    kind: 'Provider',
    metadata: { name: 'p', namespace: 'ns' },
    spec: { type: 'generic', address: 'https://example.com/hook', ...spec },
  });

  it('spec.proxy, then the Secret proxy key, then proxySecretRef (address + username/password) win', () => {
    expect(providerSettings(provider({ proxy: 'http://a:1' }), undefined).proxy).toBe('http://a:1');
    expect(providerSettings(provider({ proxy: 'http://a:1' }), { proxy: ' http://b:2 ' }).proxy).toBe('http://b:2');
    const ref = provider({ proxy: 'http://a:1', proxySecretRef: { name: 'px' } });
    expect(providerSettings(ref, { proxy: 'http://b:2' }, undefined, { address: 'http://c:3' }).proxy).toBe(
      'http://c:3/',
    );
    expect(
      providerSettings(ref, undefined, undefined, { address: 'http://c:3', username: 'u', password: 'p@ss' }).proxy,
    ).toBe('http://u:p%40ss@c:3/');
  });

  it('a proxy secret without address, or a non-http proxy, is a configuration error', () => {
    const ref = provider({ proxySecretRef: { name: 'px' } });
    expect(() => providerSettings(ref, undefined, undefined, { username: 'u' })).toThrow(
      "failed to get proxy URL: secret 'ns/px': key 'address' not found",
    );
    expect(() => providerSettings(provider({ proxy: 'socks5://x:1' }), undefined)).toThrow(ProviderConfigError);
  });

  it('commitStatusExpr is refused with a clear error, never ignored', () => {
    const p = provider({ type: 'github', address: 'https://github.com/o/r', commitStatusExpr: "'x'" });
    expect(() => providerSettings(p, { token: 't' })).toThrow(/commitStatusExpr CEL expression .* not supported/);
  });
});
