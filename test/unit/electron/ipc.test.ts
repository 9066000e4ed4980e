import { beforeEach, describe, expect, it, vi } from 'vitest';

import type { FluxdeckApiServer } from '../../../main/api/create-api.ts';
import type { PushSink } from '../../../main/api/push-hub.ts';
import { requestChannels } from '../../../main/contract/index.ts';
import { silentLogger } from '../../../main/util/logger.ts';
import { electronStub, FakeBrowserWindow, handlers } from './electron-stub.ts';

vi.mock('electron', () => electronStub);

const { bindIpc } = await import('../../../main/electron/ipc.ts');

function fakeApi() {
  const sinks: PushSink[] = [];
  const invoke = vi.fn((_channel: string, _payload: unknown, ctx: { signal: AbortSignal }) =>
    Promise.resolve({ ok: true as const, value: ctx.signal }),
  );
  const api = {
    router: { invoke },
    attach: (s: PushSink) => {
      sinks.push(s);
      return () => sinks.splice(sinks.indexOf(s), 1);
    },
  } as unknown as FluxdeckApiServer;
  return { api, invoke, sinks };
}

const mainFrame = (url = 'fluxdeck://app/index.html') => ({ url, parent: null });

describe('the IPC binding', () => {
  beforeEach(() => handlers.clear());

  it('registers one handler per request channel and removes them all on dispose', () => {
    const { api } = fakeApi();
    const ipc = bindIpc(api, { logger: silentLogger, devServerUrl: undefined });
    expect([...handlers.keys()].sort()).toEqual([...requestChannels].sort());
    ipc.dispose();
    expect(handlers.size).toBe(0);
  });

  it('routes a request from its own window’s top frame on the app origin', async () => {
    const { api, invoke } = fakeApi();
    const ipc = bindIpc(api, { logger: silentLogger, devServerUrl: undefined });
    const win = new FakeBrowserWindow({});
    ipc.addWindow(win as never);
    const result = await handlers.get('clusters:list')!({ sender: win.webContents, senderFrame: mainFrame() }, {});
    expect(invoke).toHaveBeenCalledWith(
      'clusters:list',
      {},
      expect.objectContaining({ client: expect.stringMatching(/^ipc:window-/) }),
    );
    expect(result).toMatchObject({ ok: true });
  });

  it('refuses senders that are not one of its windows, an iframe, or a page navigated elsewhere', async () => {
    const { api, invoke } = fakeApi();
    const ipc = bindIpc(api, { logger: silentLogger, devServerUrl: undefined });
    const win = new FakeBrowserWindow({});
    ipc.addWindow(win as never);
    const stranger = new FakeBrowserWindow({});
    const refused = [
      { sender: stranger.webContents, senderFrame: mainFrame() },
      { sender: win.webContents, senderFrame: { url: 'fluxdeck://app/index.html', parent: {} } },
      { sender: win.webContents, senderFrame: mainFrame('https://evil.example/') },
      { sender: win.webContents, senderFrame: null },
    ];
    for (const event of refused) {
      expect(await handlers.get('flux:reconcile')!(event, {})).toMatchObject({
        ok: false,
        error: { code: 'forbidden' },
      });
    }
    expect(invoke).not.toHaveBeenCalled();
  });

  it('pushes events to the window until it is destroyed, then aborts its requests', async () => {
    const { api, sinks } = fakeApi();
    const ipc = bindIpc(api, { logger: silentLogger, devServerUrl: undefined });
    const win = new FakeBrowserWindow({});
    ipc.addWindow(win as never);
    expect(sinks).toHaveLength(1);
    sinks[0]!.send('app:onCommand', { command: 'fit' });
    expect(win.webContents.sent).toEqual([['app:onCommand', { command: 'fit' }]]);
    const result = (await handlers.get('clusters:list')!(
      { sender: win.webContents, senderFrame: mainFrame() },
      {},
    )) as { value: AbortSignal };
    expect(result.value.aborted).toBe(false);
    win.webContents.destroyed = true;
    expect(sinks[0]!.isOpen()).toBe(false);
    win.webContents.emit('destroyed');
    expect(sinks).toHaveLength(0);
    expect(result.value.aborted).toBe(true);
  });
});
