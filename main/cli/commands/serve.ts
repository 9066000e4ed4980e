import { parseArgs } from 'node:util';

import type { EnginePort } from '../../api/engine-port.ts';
import { defaultRendererDir, runHeadless } from '../../headless/index.ts';
import { createLogger, type Logger, type LogLevel } from '../../util/logger.ts';
import { defaultDataDir } from '../../util/paths.ts';
import { type Command, UsageError } from '../command.ts';

export interface ServeEngineOptions {
  dataDir: string;
  logger: Logger;
  /** Kubeconfig files (like $KUBECONFIG); undefined means $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string[];
}

export interface ServeDeps {
  /** Starts the engine with its controllers, as `fluxdeck run` does (main/create-fluxdeck.ts). */
  createEngine(opts: ServeEngineOptions): Promise<EnginePort>;
}

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function parse(args: string[]): {
  host: string;
  port: number;
  kubeconfig: string[] | undefined;
  connect: string[];
  dataDir: string;
  level: LogLevel;
  rendererDir: string;
} {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
      kubeconfig: { type: 'string', multiple: true },
      connect: { type: 'string', multiple: true },
      'data-dir': { type: 'string' },
      'log-level': { type: 'string', default: 'warn' },
      'renderer-dir': { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}'`);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0-65535, got '${values.port}'`);
  const level = values['log-level'] as LogLevel;
  if (!LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}`);
  if (values.host === '0.0.0.0' || values.host === '::')
    throw new UsageError('--host must name one address (a wildcard would accept requests for any host name)');
  return {
    host: values.host,
    port,
    kubeconfig: values.kubeconfig,
    connect: values.connect ?? [],
    dataDir: values['data-dir'] ?? defaultDataDir(),
    level,
    rendererDir: values['renderer-dir'] ?? defaultRendererDir(),
  };
}

/**
 * `fluxdeck serve`: the desktop app's UI in a browser. It runs the engine and its controllers like `fluxdeck run`
 * and serves the built renderer plus the contract over a WebSocket, on loopback with a random token by default.
 */
export function serveCommand(deps: ServeDeps): Command {
  return {
    name: 'serve',
    summary: 'Run the controllers and serve the Fluxdeck UI to a browser',
    usage:
      'fluxdeck serve [--host 127.0.0.1] [--port 0] [--kubeconfig FILE]... [--connect CONTEXT]... [--data-dir DIR] [--log-level warn]',
    run: async (args, io) => {
      const opts = parse(args);
      const logger = createLogger({ write: (line) => io.err(line + '\n') }, opts.level).child({ command: 'serve' });
      if (!LOOPBACK.has(opts.host))
        io.err(
          `fluxdeck serve: listening on ${opts.host}, not loopback: anyone who can reach it and has the token can act on your clusters.\n`,
        );
      const engine = await deps.createEngine({
        dataDir: opts.dataDir,
        logger: logger.child({ part: 'engine' }),
        ...(opts.kubeconfig && { kubeconfig: opts.kubeconfig }),
      });
      try {
        const run = await runHeadless({
          engine,
          logger: logger.child({ part: 'api' }),
          host: opts.host,
          port: opts.port,
          rendererDir: opts.rendererDir,
        });
        try {
          for (const context of opts.connect) {
            await engine.connect(context).catch((err: unknown) => {
              throw new Error(`could not connect context '${context}' given with --connect`, { cause: err });
            });
          }
          io.out(`Fluxdeck is serving on ${run.server.url}\n`);
          io.out('Open that URL in a browser (the token changes at every start). Press Ctrl-C to stop.\n');
          await new Promise<void>((resolve) => {
            if (io.signal.aborted) resolve();
            else io.signal.addEventListener('abort', () => resolve(), { once: true });
          });
          io.out('Stopping: closing connections, stopping controllers, releasing leases…\n');
        } finally {
          await run.close();
        }
      } finally {
        await engine.close();
      }
      return 0;
    },
  };
}
