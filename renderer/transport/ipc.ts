/** The Electron transport: `window.fluxdeck`, which the preload builds from the contract's channel lists. */
import type { FluxdeckApi, Result } from '../../main/contract/index.ts';
import { type Transport, unwrap } from './transport.ts';

type Untyped = Record<string, Record<string, (arg: unknown) => unknown>>;

function member(api: FluxdeckApi, channel: string): (arg: unknown) => unknown {
  const i = channel.indexOf(':');
  const fn = (api as unknown as Untyped)[channel.slice(0, i)]?.[channel.slice(i + 1)];
  if (typeof fn !== 'function')
    throw new Error(`window.fluxdeck has no ${channel}: the preload is from another version`);
  return fn;
}

export function createIpcTransport(api: FluxdeckApi): Transport {
  return {
    kind: 'ipc',
    invoke: async (channel, payload) => unwrap((await member(api, channel)(payload)) as Result<never>),
    subscribe: (channel, listener) => member(api, channel)(listener) as () => void,
    onStatus: (listener) => {
      listener('open');
      return () => undefined;
    },
    close: () => undefined,
  };
}
