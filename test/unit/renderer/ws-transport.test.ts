import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ApiError } from '../../../renderer/transport/transport.ts';
import { createWsTransport } from '../../../renderer/transport/ws.ts';

/** Just enough of a browser WebSocket for the transport: the test opens, answers and closes it. */
class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  sent: unknown[] = [];
  readonly url: string;
  constructor(url: string) {
    this.url = url;
    FakeSocket.all.push(this);
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.onclose?.();
  }
  open(): void {
    this.onopen?.();
  }
  push(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

const create = (url: string): WebSocket => new FakeSocket(url) as unknown as WebSocket;

describe('the WebSocket transport', () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('matches responses to requests by id, out of order', async () => {
    const t = createWsTransport({ url: 'ws://x/api/ws', createSocket: create });
    const s = FakeSocket.all[0]!;
    s.open();
    const a = t.invoke('clusters:list', {});
    const b = t.invoke('app:health', {});
    await vi.advanceTimersByTimeAsync(0);
    const [ra, rb] = s.sent as { id: number; channel: string }[];
    expect([ra?.channel, rb?.channel]).toEqual(['clusters:list', 'app:health']);
    s.push({ type: 'response', id: rb!.id, result: { ok: true, value: 'health' } });
    s.push({ type: 'response', id: ra!.id, result: { ok: true, value: ['prod'] } });
    expect(await a).toEqual(['prod']);
    expect(await b).toBe('health');
    t.close();
  });

  it('rethrows the error envelope as an ApiError with its code', async () => {
    const t = createWsTransport({ url: 'ws://x', createSocket: create });
    const s = FakeSocket.all[0]!;
    s.open();
    const p = t.invoke('clusters:connect', { cluster: 'prod' });
    await vi.advanceTimersByTimeAsync(0);
    s.push({
      type: 'response',
      id: (s.sent[0] as { id: number }).id,
      result: { ok: false, error: { code: 'unauthorized', message: 'log in' } },
    });
    await expect(p).rejects.toMatchObject({ name: 'ApiError', code: 'unauthorized', message: 'log in' });
    t.close();
  });

  it('delivers pushed events to subscribers until they unsubscribe', () => {
    const t = createWsTransport({ url: 'ws://x', createSocket: create });
    const s = FakeSocket.all[0]!;
    s.open();
    const seen: unknown[] = [];
    const off = t.subscribe('app:onCommand', (p) => seen.push(p));
    s.push({ type: 'event', channel: 'app:onCommand', payload: { command: 'fit' } });
    off();
    s.push({ type: 'event', channel: 'app:onCommand', payload: { command: 'palette' } });
    expect(seen).toEqual([{ command: 'fit' }]);
    t.close();
  });

  it('fails requests in flight when the socket drops, and reconnects with growing delays', async () => {
    const t = createWsTransport({ url: 'ws://x', createSocket: create, minBackoffMs: 100, maxBackoffMs: 400 });
    const statuses: string[] = [];
    t.onStatus((s) => statuses.push(s));
    FakeSocket.all[0]!.open();
    const p = t.invoke('clusters:list', {});
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.all[0]!.close();
    await expect(p).rejects.toBeInstanceOf(ApiError);
    await expect(p).rejects.toMatchObject({ code: 'unavailable' });
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1]!.close();
    await vi.advanceTimersByTimeAsync(199);
    expect(FakeSocket.all).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.all).toHaveLength(3);
    FakeSocket.all[2]!.open();
    expect(statuses).toEqual(['connecting', 'open', 'closed', 'connecting', 'closed', 'connecting', 'open']);
    t.close();
  });

  it('holds a request made while connecting until the socket opens', async () => {
    const t = createWsTransport({ url: 'ws://x', createSocket: create });
    const p = t.invoke('clusters:list', {});
    await vi.advanceTimersByTimeAsync(50);
    const s = FakeSocket.all[0]!;
    expect(s.sent).toEqual([]);
    s.open();
    await vi.advanceTimersByTimeAsync(0);
    s.push({ type: 'response', id: (s.sent[0] as { id: number }).id, result: { ok: true, value: [] } });
    expect(await p).toEqual([]);
    t.close();
  });
});
