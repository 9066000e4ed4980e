/**
 * The `fluxdeck serve` server: one HTTP server on loopback that serves the built renderer and the contract over a
 * WebSocket at /api/ws. Every HTTP request and the socket handshake pass the access checks in access.ts; each
 * connection is a push client with its own batchers, and its in-flight requests are aborted when it closes.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

import { type WebSocket, WebSocketServer } from 'ws';

import type { FluxdeckApiServer } from '../api/create-api.ts';
import type { PushSink } from '../api/push-hub.ts';
import { contentTypeOf, resolveAsset, SECURITY_HEADERS } from '../api/renderer-assets.ts';
import { ClientFrame, type ServerFrame, TOKEN_PARAM, WS_PATH } from '../contract/index.ts';
import type { Logger } from '../util/logger.ts';
import { type AccessPolicy, authenticate, cookieName, generateToken, hostAllowed, originAllowed } from './access.ts';

export interface HeadlessOptions {
  api: FluxdeckApiServer;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  logger: Logger;
  /** Bind address; loopback by default. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** A fixed token (tests); random per start otherwise. */
  token?: string;
  /** Largest accepted WebSocket message. */
  maxPayloadBytes?: number;
  /** A client that lets this much pile up unread is disconnected (it reconnects and resyncs). */
  maxBufferedBytes?: number;
  heartbeatMs?: number;
}

export interface HeadlessServer {
  /** The URL to open, token included. */
  url: string;
  origin: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function unauthorizedPage(res: ServerResponse): void {
  res.writeHead(401, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(
    '<!doctype html><meta charset="utf-8"><title>Fluxdeck: token required</title>' +
      '<body style="font:14px system-ui;background:#0d1117;color:#c9d1d9;padding:40px">' +
      '<h1 style="font-size:18px">This Fluxdeck server needs its start token</h1>' +
      '<p>Open the URL that <code>fluxdeck serve</code> printed when it started: it ends in <code>?token=…</code>. ' +
      'The token changes at every start.</p></body>',
  );
}

/**
 * The renderer's files, read once and answered in one write. Streamed from disk, the 545 kB main bundle went out in
 * 64 kB chunks, one event-loop turn each, while the engine's start (connecting clusters, every controller's first
 * reconcile) kept the loop busy: 500 ms to load it on a cold `serve` (bench serve). Only hashed assets are kept (their
 * content never changes); the page itself is read each time.
 */
class AssetCache {
  readonly #files = new Map<string, Promise<Buffer | undefined>>();

  read(file: string): Promise<Buffer | undefined> {
    if (file.endsWith('.html')) return readAsset(file);
    let hit = this.#files.get(file);
    if (!hit) {
      hit = readAsset(file);
      this.#files.set(file, hit);
    }
    return hit;
  }
}

function readAsset(file: string): Promise<Buffer | undefined> {
  return stat(file)
    .then((info) => (info.isFile() ? readFile(file) : undefined))
    .catch(() => undefined);
}

function sendFile(res: ServerResponse, file: string, body: Buffer, head: boolean): void {
  const isHtml = file.endsWith('.html');
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': contentTypeOf(file),
    'content-length': String(body.length),
    // Hashed asset names never change content; the page itself must always be fresh.
    'cache-control': isHtml ? 'no-store' : 'public, max-age=31536000, immutable',
  });
  res.end(head ? undefined : body);
}

export async function startHeadlessServer(opts: HeadlessOptions): Promise<HeadlessServer> {
  const { api, logger } = opts;
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? generateToken();
  const policy: AccessPolicy = { token, port: 0, hosts: [...new Set([...LOOPBACK, host.toLowerCase()])] };
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayloadBytes ?? 1024 * 1024 });
  const connections = new Set<WebSocket>();
  const assets = new AssetCache();
  let nextConnection = 1;

  const handleHttp = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req.headers, policy)) {
      res.writeHead(421, SECURITY_HEADERS).end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...SECURITY_HEADERS, allow: 'GET, HEAD' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const credential = authenticate(req.headers, url.searchParams, policy);
    if (!credential) {
      logger.warn('HTTP request without a valid token refused', { path: url.pathname });
      unauthorizedPage(res);
      return;
    }
    if (credential === 'query') {
      // Trade the token in the URL for an HttpOnly cookie and drop it from the address bar and history.
      url.searchParams.delete(TOKEN_PARAM);
      res.writeHead(303, {
        ...SECURITY_HEADERS,
        location: url.pathname + url.search,
        'set-cookie': `${cookieName(policy.port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
      });
      res.end();
      return;
    }
    const file = resolveAsset(opts.rendererDir, url.pathname);
    const body = file ? await assets.read(file) : undefined;
    if (file && body) sendFile(res, file, body, req.method === 'HEAD');
    else res.writeHead(404, { ...SECURITY_HEADERS, 'content-type': 'text/plain' }).end('not found\n');
  };

  const server: Server = createServer((req, res) => {
    handleHttp(req, res).catch((err: unknown) => {
      // The path only: the query may carry the token.
      logger.error('HTTP request failed', { path: pathOf(req.url), error: err });
      if (!res.headersSent) res.writeHead(500, SECURITY_HEADERS);
      res.end();
    });
  });

  server.on('upgrade', (req, socket, head) => {
    // Nothing a client sends before authentication may take the server down: any failure is a 400 for this socket.
    try {
      upgrade(req, socket, head);
    } catch (err) {
      logger.warn('WebSocket upgrade refused', { path: pathOf(req.url), error: err });
      refuse(socket, 400, 'Bad Request');
    }
  });

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) return refuse(socket, 404, 'Not Found');
    if (!hostAllowed(req.headers, policy)) return refuse(socket, 421, 'Misdirected Request');
    if (!originAllowed(req.headers, policy)) {
      logger.warn('WebSocket from a foreign origin refused', { origin: req.headers.origin });
      return refuse(socket, 403, 'Forbidden');
    }
    if (!authenticate(req.headers, url.searchParams, policy)) {
      logger.warn('WebSocket without a valid token refused', { remote: req.socket.remoteAddress });
      return refuse(socket, 401, 'Unauthorized');
    }
    wss.handleUpgrade(req, socket, head, (ws) =>
      onConnection(ws, `ws:${req.socket.remotePort ?? 0}#${nextConnection++}`),
    );
  };

  const onConnection = (ws: WebSocket, name: string): void => {
    connections.add(ws);
    const aborter = new AbortController();
    let alive = true;
    const send = (frame: ServerFrame): void => {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > (opts.maxBufferedBytes ?? 64 * 1024 * 1024)) {
        logger.warn('client is not reading its events; disconnecting it so it resyncs', { client: name });
        ws.close(1013, 'client too slow');
        return;
      }
      ws.send(JSON.stringify(frame));
    };
    const sink: PushSink = {
      name,
      isOpen: () => ws.readyState === ws.OPEN,
      send: (channel, payload) => send({ type: 'event', channel, payload }),
    };
    const detach = api.attach(sink);
    ws.on('pong', () => (alive = true));
    ws.on('message', (data, isBinary) => {
      const frame = isBinary || !Buffer.isBuffer(data) ? undefined : parseFrame(data.toString('utf8'));
      if (!frame) {
        ws.close(1008, 'frames must be JSON request objects');
        return;
      }
      api.router
        .invoke(frame.channel, frame.payload, { signal: aborter.signal, client: name })
        .then((result) => send({ type: 'response', id: frame.id, result }))
        .catch((err: unknown) => logger.error('router failed', { client: name, error: err }));
    });
    ws.on('close', () => {
      connections.delete(ws);
      aborter.abort(new Error('the client disconnected'));
      detach();
    });
    ws.on('error', (err) => logger.warn('WebSocket error', { client: name, error: err }));
    const beat = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, opts.heartbeatMs ?? 30_000);
    beat.unref();
    ws.once('close', () => clearInterval(beat));
    logger.info('client connected', { client: name });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new Error(`fluxdeck serve could not listen on ${host}:${opts.port ?? 0}; pick another --port`, { cause: err }),
      ),
    );
    server.listen(opts.port ?? 0, host, resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fluxdeck serve: the server has no TCP address');
  policy.port = address.port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const origin = `http://${urlHost}:${address.port}`;

  return {
    url: `${origin}/?${TOKEN_PARAM}=${token}`,
    origin,
    token,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of connections) ws.close(1001, 'server shutting down');
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parseFrame(text: string): ClientFrame | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = ClientFrame.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** A request's path without its query (which may carry the token), for logs. */
function pathOf(url: string | undefined): string {
  return (url ?? '/').split('?')[0] ?? '/';
}
