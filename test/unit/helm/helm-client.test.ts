// The client's process handling against a fake helper speaking the same protocol (fake-helper.mjs): concurrency,
// timeouts, cancellation, crashes and restarts, callbacks, version checks. The real helper is covered by the
// integration tests.
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { HelmClient, type HelmError } from '../../../main/helm/index.ts';

const clients: HelmClient[] = [];

// The client runs a helper path without arguments, so a tiny shell wrapper starts this Node on the fake.
function client(env: Record<string, string> = {}): HelmClient {
  const c = new HelmClient({
    path: join(import.meta.dirname, 'fake-helper.sh'),
    env: { FAKE_NODE: process.execPath, ...env },
  });
  clients.push(c);
  return c;
}

async function failure(p: Promise<unknown>): Promise<HelmError> {
  try {
    await p;
  } catch (err) {
    return err as HelmError;
  }
  throw new Error('expected the call to fail');
}

// Operations the fake understands, outside the typed HelmOps map.
type Loose = (op: string, params: object, opts?: Parameters<HelmClient['call']>[2]) => Promise<unknown>;
const loose = (c: HelmClient): Loose => c.call.bind(c) as unknown as Loose;

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});

describe('HelmClient', () => {
  it('reads the hello line and matches concurrent answers to their requests', async () => {
    const c = client();
    expect(await c.info()).toEqual({ protocol: 2, helm: 'v4.3.2', go: 'fake' });
    const call = loose(c);
    const answers = await Promise.all([
      call('echo', { n: 1, delayMs: 60 }),
      call('echo', { n: 2, delayMs: 0 }),
      call('echo', { n: 3, delayMs: 30 }),
    ]);
    expect(answers).toEqual([
      { n: 1, delayMs: 60 },
      { n: 2, delayMs: 0 },
      { n: 3, delayMs: 30 },
    ]);
  });

  it('rejects with the typed error the helper returned', async () => {
    const err = await failure(loose(client())('fail', {}));
    expect(err.code).toBe('RenderFailed');
    expect(err.details).toEqual({ template: 't.yaml', line: '3' });
  });

  it('times out a call, tells the helper to cancel it, and keeps serving others', async () => {
    const c = client();
    const err = await failure(loose(c)('hang', {}, { timeoutMs: 50 }));
    expect(err.code).toBe('Timeout');
    expect(await loose(c)('echo', { ok: true })).toEqual({ ok: true });
  });

  it('cancels a call through an AbortSignal', async () => {
    const ac = new AbortController();
    const p = loose(client())('hang', {}, { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    expect((await failure(p)).code).toBe('Canceled');
    expect((await failure(loose(client())('echo', {}, { signal: ac.signal }))).code).toBe('Canceled');
  });

  it('fails calls in flight when the helper dies, and restarts it on the next call', async () => {
    const c = client();
    const pending = loose(c)('hang', {});
    const crash = loose(c)('crash', {});
    const [a, b] = await Promise.all([failure(pending), failure(crash)]);
    expect(a.code).toBe('HelperUnavailable');
    expect(b.message).toContain('fatal: fake crash');
    expect(await loose(c)('echo', { again: true })).toEqual({ again: true });
  });

  it('answers post-render callbacks with the caller’s renderer, and reports its failure', async () => {
    const c = client();
    const ok = await loose(c)('postRender', {}, { postRenderer: (m) => `${m}metadata: {labels: {a: b}}\n` });
    expect(ok).toEqual({ manifest: 'kind: A\nmetadata: {labels: {a: b}}\n' });
    const err = await failure(
      loose(c)(
        'postRender',
        {},
        {
          postRenderer: () => {
            throw new Error('no patch target');
          },
        },
      ),
    );
    expect(err.code).toBe('PostRenderFailed');
    expect(err.message).toContain('no patch target');
  });

  it('refuses a helper that speaks another protocol version', async () => {
    const err = await failure(client({ FAKE_PROTOCOL: '1' }).info());
    expect(err.code).toBe('HelperUnavailable');
    expect(err.message).toContain('protocol 1');
  });

  it('fails clearly when the helper cannot be started, and after dispose', async () => {
    const missing = new HelmClient({ path: '/nonexistent/fluxdeck-helm' });
    clients.push(missing);
    expect((await failure(missing.info())).code).toBe('HelperUnavailable');
    const c = client();
    await c.dispose();
    expect((await failure(loose(c)('echo', {}))).code).toBe('HelperUnavailable');
  });
});
