/**
 * A forward HTTP proxy on 127.0.0.1 that records how it was used: `CONNECT host:port` tunnels (https targets) and
 * absolute-form requests (http targets), with the Proxy-Authorization each carried. With `credentials` set it
 * answers 407 to anything else, as an authenticating proxy does.
 */
import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';

export interface ProxyUse {
  method: string;
  /** `host:port` for CONNECT, the absolute URL otherwise. */
  target: string;
  authorization?: string;
}

export interface RecordingProxy {
  url: string;
  uses: ProxyUse[];
  close(): Promise<void>;
}

export async function startConnectProxy(credentials?: { username: string; password: string }): Promise<RecordingProxy> {
  const uses: ProxyUse[] = [];
  const expected = credentials
    ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
    : undefined;
  const record = (req: IncomingMessage): boolean => {
    const authorization = req.headers['proxy-authorization'];
    uses.push({ method: req.method ?? '', target: req.url ?? '', ...(authorization ? { authorization } : {}) });
    return !expected || authorization === expected;
  };
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    if (!record(req)) return void res.writeHead(407).end();
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    if (!record(req)) return void client.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect({ host, port: Number(port) }, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', end);
    client.on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    uses,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
