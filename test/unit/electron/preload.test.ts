import { describe, expect, it, vi } from 'vitest';

import { eventChannels, requestChannels } from '../../../main/contract/index.ts';
import type * as Preload from '../../../preload/index.ts';
import { electronStub } from './electron-stub.ts';

vi.mock('electron', () => electronStub);

/** The preload runs when first imported; the first test imports it, so its mock records that moment. */
async function load(): Promise<typeof Preload> {
  return import('../../../preload/index.ts');
}

type Fn = (...args: unknown[]) => unknown;

function fakeIpc() {
  const listeners = new Map<string, Set<Fn>>();
  return {
    listeners,
    invoke: vi.fn((channel: string, payload: unknown) => Promise.resolve({ ok: true, value: { channel, payload } })),
    on: vi.fn((channel: string, l: Fn) => {
      listeners.set(channel, new Set([...(listeners.get(channel) ?? []), l]));
    }),
    removeListener: vi.fn((channel: string, l: Fn) => {
      listeners.get(channel)?.delete(l);
    }),
  };
}

describe('window.fluxdeck', () => {
  it('is exposed once, under one name, from the contract’s channel lists', async () => {
    const { buildApi } = await load();
    expect(electronStub.contextBridge.exposeInMainWorld.mock.calls.map((c) => c[0])).toEqual(['fluxdeck']);
    const ipc = fakeIpc();
    const api = buildApi(ipc as never) as Record<string, Record<string, Fn>>;
    const exposed = Object.entries(api).flatMap(([d, methods]) => Object.keys(methods).map((m) => `${d}:${m}`));
    expect(exposed.sort()).toEqual([...requestChannels, ...eventChannels].sort());
    expect(await api.clusters!.connect!({ cluster: 'prod' })).toEqual({
      ok: true,
      value: { channel: 'clusters:connect', payload: { cluster: 'prod' } },
    });
  });

  it('exposes no generic invoke, send or ipcRenderer', async () => {
    const { buildApi } = await load();
    const api = buildApi(fakeIpc() as never) as Record<string, unknown>;
    for (const name of ['invoke', 'send', 'on', 'ipcRenderer', 'removeListener']) expect(api).not.toHaveProperty(name);
  });

  it('strips the IPC event from listeners and removes exactly the wrapper it added', async () => {
    const { buildApi } = await load();
    const ipc = fakeIpc();
    const api = buildApi(ipc as never) as Record<string, Record<string, Fn>>;
    const seen: unknown[] = [];
    const off = api.graph!.onDelta!((p: unknown) => seen.push(p)) as () => void;
    const wrapper = [...(ipc.listeners.get('graph:onDelta') ?? [])][0]!;
    wrapper({ sender: 'internal' }, { objects: [] });
    expect(seen).toEqual([{ objects: [] }]);
    off();
    expect(ipc.removeListener).toHaveBeenCalledWith('graph:onDelta', wrapper);
    expect(ipc.listeners.get('graph:onDelta')?.size).toBe(0);
  });

  it('refuses a listener that is not a function', async () => {
    const { buildApi } = await load();
    const api = buildApi(fakeIpc() as never) as Record<string, Record<string, Fn>>;
    expect(() => api.app!.onHealth!('nope')).toThrow(TypeError);
  });
});
