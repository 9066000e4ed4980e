/**
 * Binds the contract to Electron IPC: one `ipcMain.handle` per request channel, answering with a Result so the
 * renderer never sees "Error invoking remote method", and one push client per window. Only our own windows showing
 * our own page may call: a request from any other frame or webContents is refused before the router sees it.
 */
import { type BrowserWindow, ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';

import type { FluxdeckApiServer } from '../api/create-api.ts';
import type { PushSink } from '../api/push-hub.ts';
import { requestChannels, type Result } from '../contract/index.ts';
import type { Logger } from '../util/logger.ts';
import { isAppUrl } from './window.ts';

export interface IpcBinding {
  /** Makes `win` a trusted caller and a push client until it closes. */
  addWindow(win: BrowserWindow): void;
  dispose(): void;
}

interface WindowEntry {
  aborter: AbortController;
  detach: () => void;
  name: string;
}

export function bindIpc(
  api: FluxdeckApiServer,
  opts: { logger: Logger; devServerUrl: string | undefined },
): IpcBinding {
  const windows = new Map<WebContents, WindowEntry>();
  let nextId = 1;

  const trusted = (event: IpcMainInvokeEvent): WindowEntry | undefined => {
    const entry = windows.get(event.sender);
    const frame = event.senderFrame;
    // Only the top frame of one of our windows, on our origin: not an iframe, not a page navigated elsewhere.
    if (!entry || !frame || frame.parent !== null || !isAppUrl(frame.url, opts.devServerUrl)) return undefined;
    return entry;
  };

  for (const channel of requestChannels) {
    ipcMain.handle(channel, async (event, payload: unknown): Promise<Result<unknown>> => {
      const entry = trusted(event);
      if (!entry) {
        opts.logger.warn('IPC request from an untrusted sender refused', { channel, url: event.senderFrame?.url });
        return {
          ok: false,
          error: { code: 'forbidden', message: `The ${channel} request did not come from a Fluxdeck window.` },
        };
      }
      return api.router.invoke(channel, payload, { signal: entry.aborter.signal, client: entry.name });
    });
  }

  return {
    addWindow(win) {
      const contents = win.webContents;
      const name = `ipc:window-${nextId++}`;
      const sink: PushSink = {
        name,
        isOpen: () => !win.isDestroyed() && !contents.isDestroyed(),
        send: (channel, payload) => contents.send(channel, payload),
      };
      const entry: WindowEntry = { aborter: new AbortController(), detach: api.attach(sink), name };
      windows.set(contents, entry);
      contents.once('destroyed', () => {
        entry.aborter.abort(new Error('the window closed'));
        entry.detach();
        windows.delete(contents);
      });
    },
    dispose() {
      for (const channel of requestChannels) ipcMain.removeHandler(channel);
      for (const entry of windows.values()) {
        entry.aborter.abort(new Error('the app is quitting'));
        entry.detach();
      }
      windows.clear();
    },
  };
}
