/** Picks the transport once at boot: the preload's `window.fluxdeck` in Electron, the WebSocket in a browser. */
import type { FluxdeckApi } from '../../main/contract/index.ts';
import { createIpcTransport } from './ipc.ts';
import type { Transport } from './transport.ts';
import { createWsTransport } from './ws.ts';

declare global {
  interface Window {
    fluxdeck?: FluxdeckApi;
  }
}

export function selectTransport(): Transport {
  return window.fluxdeck ? createIpcTransport(window.fluxdeck) : createWsTransport();
}
