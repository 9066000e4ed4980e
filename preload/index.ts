import { contextBridge } from 'electron';

// The narrow bridge the renderer sees as `window.fluxdeck`. It grows with the contract in main/contract.
contextBridge.exposeInMainWorld('fluxdeck', { transport: 'ipc' });
