/**
 * Requests through an HTTP proxy the way Go's http.Transport sends them (`Proxy: http.ProxyURL(u)`): an http://
 * target is asked of the proxy in absolute form (`POST http://host/path`), an https:// target goes through a
 * `CONNECT host:port` tunnel and TLS is spoken end to end inside it. Credentials in the proxy URL become
 * `Proxy-Authorization: Basic …`; they are sent to the proxy only, never to the target.
 */
import { type ClientRequest, type OutgoingHttpHeaders, request as httpRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions, request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

export class ProxyError extends Error {
  override name = 'ProxyError';
}

/** Parses a proxy URL (`http://user:pass@host:port`); only http proxies are supported, as the CONNECT is in clear. */
export function parseProxyUrl(text: string): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch (cause) {
    throw new ProxyError(`invalid proxy URL '${redact(text)}'`, { cause });
  }
  if (u.protocol !== 'http:') throw new ProxyError(`unsupported proxy scheme '${u.protocol}' (only http:// proxies)`);
  return u;
}

function redact(text: string): string {
  return text.replace(/\/\/[^@/]*@/, '//***@');
}

function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username) return undefined;
  const creds = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return `Basic ${Buffer.from(creds).toString('base64')}`;
}

const proxyPort = (proxy: URL): number => Number(proxy.port || 80);

/** Opens a CONNECT tunnel to `host:port` through the proxy and resolves with the raw socket once it answers 200. */
export function connectTunnel(proxy: URL, host: string, port: number, signal?: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: proxy.hostname, port: proxyPort(proxy) });
    const fail = (err: Error): void => {
      socket.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(new ProxyError('proxy connection aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (err) => fail(new ProxyError(`proxy ${proxy.host}: ${err.message}`, { cause: err })));
    socket.once('connect', () => {
      const auth = proxyAuthorization(proxy);
      socket.write(
        `CONNECT ${host}:${port} HTTP/1.1\r\nHost: ${host}:${port}\r\n` +
          (auth ? `Proxy-Authorization: ${auth}\r\n` : '') +
          '\r\n',
      );
    });
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 16 * 1024) fail(new ProxyError(`proxy ${proxy.host}: response header too large`));
        return;
      }
      socket.off('data', onData);
      signal?.removeEventListener('abort', onAbort);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.subarray(0, end).toString('latin1'))?.[1];
      if (status !== '200') {
        fail(new ProxyError(`proxy ${proxy.host} refused CONNECT ${host}:${port}: status ${status ?? 'unknown'}`));
        return;
      }
      // Bytes after the header belong to the tunnel (TLS from the target); hand them back to the stream.
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      socket.removeAllListeners('error');
      resolve(socket);
    };
    socket.on('data', onData);
  });
}

/** An https Agent whose connections are CONNECT tunnels through `proxy`. */
class TunnelAgent extends HttpsAgent {
  readonly #proxy: URL;

  constructor(proxy: URL, options?: AgentOptions) {
    super({ ...options, keepAlive: false });
    this.#proxy = proxy;
  }

  override createConnection(
    options: ConnectionOptions & { host?: string; port?: number },
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex {
    const host = options.host ?? 'localhost';
    connectTunnel(this.#proxy, host, options.port ?? 443)
      .then((socket) => {
        const tls = tlsConnect({ ...options, socket, servername: options.servername ?? host });
        callback?.(null, tls);
      })
      .catch((err: unknown) => callback?.(err as Error, undefined as unknown as Duplex));
    // Node's Agent takes the socket from the callback when nothing is returned.
    return undefined as unknown as Duplex;
  }
}

/**
 * `http(s).request` for `target` through `proxy`; `options` are the usual request options (method, headers, signal,
 * ca), which go to the target.
 */
export function requestViaProxy(target: URL, proxy: URL, options: RequestOptions & { ca?: string }): ClientRequest {
  if (target.protocol === 'https:') {
    const agent = new TunnelAgent(proxy, options.ca ? { ca: options.ca } : {});
    return httpsRequest(target, { ...options, agent });
  }
  const auth = proxyAuthorization(proxy);
  return httpRequest({
    ...options,
    host: proxy.hostname,
    port: proxyPort(proxy),
    path: target.href,
    headers: {
      ...(options.headers as OutgoingHttpHeaders | undefined),
      Host: target.host,
      ...(auth ? { 'Proxy-Authorization': auth } : {}),
    },
  });
}
