import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpSink {
  url: string;
  requests: SinkRequest[];
  /** What the next requests are answered with (default 200). */
  answer: (req: SinkRequest, n: number) => number;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that records every request, standing in for Slack, GitHub, a webhook, ... */
export async function startHttpSink(): Promise<HttpSink> {
  const requests: SinkRequest[] = [];
  const sink: HttpSink = {
    url: '',
    requests,
    answer: () => 200,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      requests.push(r);
      res.writeHead(sink.answer(r, requests.length)).end();
    });
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return sink;
}
