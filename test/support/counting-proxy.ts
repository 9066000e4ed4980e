/**
 * An HTTP proxy in front of a test server (S3, a registry) that records every request and counts the bytes served:
 * how tests and benchmarks show that a no-op fetch downloads nothing.
 */
import { createServer, request } from 'node:http';

import { freePort } from './ports.ts';

export interface CountingProxy {
  host: string;
  /** `METHOD path?query` of every request, in arrival order. */
  requests: string[];
  /** Response body bytes that passed through. */
  bytes(): number;
  stop(): Promise<void>;
}

export async function countingProxy(server: { host: string }): Promise<CountingProxy> {
  const requests: string[] = [];
  let bytes = 0;
  const [targetHost, targetPort] = server.host.split(':');
  const proxy = createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    const upstream = request(
      { hostname: targetHost, port: Number(targetPort), method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.on('data', (c: Buffer) => (bytes += c.length));
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${port}`,
    requests,
    bytes: () => bytes,
    stop: () =>
      new Promise<void>((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  };
}
