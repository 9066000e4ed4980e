/**
 * The plain-Node shell (style guide practice 23): the same api as the Electron app, carried over a WebSocket and
 * serving the built renderer, so a browser (and the end-to-end tests) drive the real UI against the real engine.
 * main/headless never imports main/electron.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createApi, type FluxdeckApiServer } from '../api/create-api.ts';
import type { BatchLimits } from '../api/push-hub.ts';
import type { Logger } from '../util/logger.ts';
import { appRoot } from '../util/paths.ts';
import type { Workbench } from '../workbench/index.ts';
import { type HeadlessServer, startHeadlessServer } from './ws-server.ts';

export interface HeadlessRunOptions {
  engine: Workbench;
  logger: Logger;
  host?: string;
  port?: number;
  token?: string;
  /** Defaults to out/renderer of this checkout or package. */
  rendererDir?: string;
  limits?: BatchLimits;
}

export interface HeadlessRun {
  server: HeadlessServer;
  api: FluxdeckApiServer;
  /** Stops serving and detaches the api (the caller closes the engine: it owns it). */
  close(): Promise<void>;
}

export function defaultRendererDir(): string {
  return join(appRoot(), 'out', 'renderer');
}

function appVersion(): string {
  const pkg = JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export async function runHeadless(opts: HeadlessRunOptions): Promise<HeadlessRun> {
  const api = createApi({
    port: opts.engine,
    logger: opts.logger,
    capabilities: {
      shell: 'browser',
      version: appVersion(),
      platform: process.platform,
      tray: false,
      notifications: false,
    },
    ...(opts.limits && { limits: opts.limits }),
  });
  try {
    const server = await startHeadlessServer({
      api,
      logger: opts.logger,
      rendererDir: opts.rendererDir ?? defaultRendererDir(),
      ...(opts.host !== undefined && { host: opts.host }),
      ...(opts.port !== undefined && { port: opts.port }),
      ...(opts.token !== undefined && { token: opts.token }),
    });
    return {
      server,
      api,
      close: async () => {
        await server.close();
        api.close();
      },
    };
  } catch (err) {
    api.close();
    throw err;
  }
}
