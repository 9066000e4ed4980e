/**
 * Builds `window.fluxdeck` from the contract's channel lists and nothing else (style guide practices 3 and 4): one
 * named function per request (`fluxdeck.flux.reconcile(payload)`) and per event (`fluxdeck.graph.onDelta(listener)`).
 * No generic invoke and no ipcRenderer reach the page; listeners never see the IpcRendererEvent, and the function
 * each `on…` returns removes exactly the wrapper it registered. Only channel names are imported, so this sandboxed
 * bundle carries no zod and no schemas: main validates every payload anyway.
 */
import { contextBridge, ipcRenderer } from 'electron';

import { eventChannels, requestChannels, splitChannel } from '../main/contract/channel-names.ts';

type Fn = (arg: never) => unknown;

export function buildApi(
  ipc: Pick<typeof ipcRenderer, 'invoke' | 'on' | 'removeListener'>,
): Record<string, Record<string, Fn>> {
  const api: Record<string, Record<string, Fn>> = {};
  const slot = (channel: string): [Record<string, Fn>, string] => {
    const [domain, method] = splitChannel(channel);
    return [(api[domain] ??= {}), method];
  };
  for (const channel of requestChannels) {
    const [domain, method] = slot(channel);
    domain[method] = (payload: unknown) => ipc.invoke(channel, payload);
  }
  for (const channel of eventChannels) {
    const [domain, method] = slot(channel);
    domain[method] = (listener: (payload: unknown) => void) => {
      if (typeof listener !== 'function') throw new TypeError(`fluxdeck.${channel.replace(':', '.')} needs a function`);
      const wrapper = (_event: unknown, payload: unknown): void => listener(payload);
      ipc.on(channel, wrapper);
      return () => void ipc.removeListener(channel, wrapper);
    };
  }
  return api;
}

contextBridge.exposeInMainWorld('fluxdeck', buildApi(ipcRenderer));
