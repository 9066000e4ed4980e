/** What the api tests share: the capabilities a browser client gets, a request context, and a recording client. */
import type { PushSink } from '../../../main/api/push-hub.ts';
import type { EventChannel } from '../../../main/contract/index.ts';

export const capabilities = {
  shell: 'browser',
  version: '0.0.0',
  platform: 'linux',
  tray: false,
  notifications: false,
} as const;

export const ctx = { signal: new AbortController().signal, client: 'test' };

export interface Recorded {
  channel: EventChannel;
  payload: unknown;
}

/** A push client that records every event it is sent; `open = false` plays a closed window or socket. */
export function recordingSink(name = 'test-client'): PushSink & { events: Recorded[]; open: boolean } {
  const s = {
    name,
    events: [] as Recorded[],
    open: true,
    isOpen: () => s.open,
    send: (channel: EventChannel, payload: unknown) => void s.events.push({ channel, payload }),
  };
  return s;
}
