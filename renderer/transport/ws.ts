/**
 * The `fluxdeck serve` transport. The page was loaded with the start token, which the server traded for an HttpOnly
 * cookie, so the socket authenticates without this code ever holding the token. The connection is re-opened with
 * backoff when it drops; requests made meanwhile wait for it (up to `requestTimeoutMs`), and the bridge resyncs on
 * reconnect because events sent while disconnected are gone.
 */
import type { ServerFrame, WsPath } from '../../main/contract/index.ts';
import { ApiError, type Transport, type TransportStatus, unwrap } from './transport.ts';

const WS_PATH: WsPath = '/api/ws';

export interface WsTransportOptions {
  url?: string;
  requestTimeoutMs?: number;
  /** Reconnect delays grow from `minBackoffMs` to `maxBackoffMs`. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  createSocket?: (url: string) => WebSocket;
}

interface Pending {
  resolve(frame: Extract<ServerFrame, { type: 'response' }>): void;
  reject(err: Error): void;
}

export function defaultWsUrl(loc: Location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}${WS_PATH}`;
}

const lostConnection = (): ApiError =>
  new ApiError({
    code: 'unavailable',
    message:
      'Lost the connection to fluxdeck serve. It reconnects on its own; if it does not, check that the server is still running.',
  });

export function createWsTransport(opts: WsTransportOptions = {}): Transport {
  const url = opts.url ?? defaultWsUrl(window.location);
  const create = opts.createSocket ?? ((u: string) => new WebSocket(u));
  const listeners = new Map<string, Set<(payload: never) => void>>();
  const statusListeners = new Set<(s: TransportStatus) => void>();
  const pending = new Map<number, Pending>();
  const waitingForOpen = new Set<() => void>();
  let status: TransportStatus = 'connecting';
  let socket: WebSocket | undefined;
  let nextId = 1;
  let backoff = opts.minBackoffMs ?? 500;
  let closed = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const setStatus = (s: TransportStatus): void => {
    if (s === status) return;
    status = s;
    for (const l of statusListeners) l(s);
  };

  const onFrame = (text: string): void => {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    if (frame.type === 'response') {
      const p = pending.get(frame.id);
      pending.delete(frame.id);
      p?.resolve(frame);
    } else {
      for (const l of listeners.get(frame.channel) ?? []) l(frame.payload as never);
    }
  };

  const connect = (): void => {
    setStatus('connecting');
    const ws = create(url);
    socket = ws;
    ws.onopen = () => {
      backoff = opts.minBackoffMs ?? 500;
      setStatus('open');
      for (const w of [...waitingForOpen]) w();
    };
    ws.onmessage = (e: MessageEvent) => {
      if (typeof e.data === 'string') onFrame(e.data);
    };
    ws.onclose = () => {
      socket = undefined;
      for (const p of pending.values()) p.reject(lostConnection());
      pending.clear();
      setStatus('closed');
      if (closed) return;
      retryTimer = setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, opts.maxBackoffMs ?? 10_000);
    };
  };

  const whenOpen = (): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      if (socket && status === 'open') return resolve(socket);
      const timer = setTimeout(() => {
        waitingForOpen.delete(ready);
        reject(lostConnection());
      }, opts.requestTimeoutMs ?? 15_000);
      const ready = (): void => {
        clearTimeout(timer);
        waitingForOpen.delete(ready);
        if (socket) resolve(socket);
        else reject(lostConnection());
      };
      waitingForOpen.add(ready);
    });

  connect();

  return {
    kind: 'ws',
    async invoke(channel, payload) {
      const ws = await whenOpen();
      const id = nextId++;
      const frame = await new Promise<Extract<ServerFrame, { type: 'response' }>>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ type: 'request', id, channel, payload }));
      });
      return unwrap(frame.result) as never;
    },
    subscribe(channel, listener) {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(listener);
      return () => void set.delete(listener);
    },
    onStatus(listener) {
      statusListeners.add(listener);
      listener(status);
      return () => void statusListeners.delete(listener);
    },
    close() {
      closed = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      socket?.close();
    },
  };
}
