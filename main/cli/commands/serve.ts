import { defaultRendererDir, runHeadless } from '../../headless/index.ts';
import { createLogger, type Logger, type LogLevel } from '../../util/logger.ts';
import type { Workbench } from '../../workbench/index.ts';
import type { parseCommand } from '../cluster-flags.ts';
import { type CliIO, type Command, UsageError } from '../command.ts';
import { connectContexts, engineFromArgs, reportActivity, untilAborted } from './run.ts';

/** The flags `serve` adds to `fluxdeck run`'s. */
export const serveFlagOptions = {
  host: { type: 'string' },
  port: { type: 'string' },
  'renderer-dir': { type: 'string' },
} as const satisfies Parameters<typeof parseCommand>[1];

export interface StartedEngine {
  engine: Workbench;
  /** Every parsed flag, serve's own included. */
  values: Record<string, unknown>;
  logger: Logger;
  /** Connects the contexts the flags name; returns how many connected (failures are printed). */
  connect(): Promise<number>;
  /** Stops printing engine activity. */
  quiet(): void;
}

export interface ServeDeps {
  /** Starts the engine as `fluxdeck run` does, from the same flags. */
  startEngine(args: string[], io: CliIO): Promise<StartedEngine>;
}

/** The real engine: `fluxdeck run`'s flags and composition root, seen through its workbench. */
async function startEngine(args: string[], io: CliIO): Promise<StartedEngine> {
  const started = await engineFromArgs(args, io, serveFlagOptions);
  const level = (started.values['log-level'] as LogLevel | undefined) ?? 'warn';
  const logger = createLogger({ write: (line) => io.err(`${line}\n`) }, level).child({ command: 'serve' });
  const stopReporting = reportActivity(started.fluxdeck, io);
  return {
    engine: started.fluxdeck.workbench,
    values: started.values,
    logger,
    // A new user without a cluster still gets the UI, whose empty state says how to add one.
    connect: () => connectContexts(started, io, { noneIsFine: true }),
    quiet: stopReporting,
  };
}

/**
 * The host as the network stack reads it (`127.1` is 127.0.0.1, `0` is 0.0.0.0, `::0` is `::`), so checks cannot be
 * dodged by spelling; UsageError for something that is not a host name or address.
 */
export function canonicalHost(host: string): string {
  const bracketed = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  try {
    return new URL(`http://${bracketed}/`).hostname;
  } catch {
    throw new UsageError(`--host '${host}' is not a host name or an IP address`);
  }
}

/** Loopback in every spelling: localhost, 127.0.0.0/8 and ::1. */
export function isLoopback(host: string): boolean {
  const h = canonicalHost(host);
  return h === 'localhost' || h === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

const UNSPECIFIED = new Set(['0.0.0.0', '[::]']);

function serveFlags(values: Record<string, unknown>): { host: string; port: number; rendererDir: string } {
  const given = typeof values.host === 'string' ? values.host : '127.0.0.1';
  // Bind (and check Host headers against) the address as browsers will write it: `127.1` is sent as 127.0.0.1.
  const host = canonicalHost(given).replace(/^\[(.*)\]$/, '$1');
  const rawPort = typeof values.port === 'string' ? values.port : '0';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0-65535, got '${rawPort}'`);
  if (UNSPECIFIED.has(canonicalHost(host)))
    throw new UsageError(
      `--host ${given} listens on every address of this machine; name one address (a wildcard would accept requests for any host name)`,
    );
  const rendererDir = typeof values['renderer-dir'] === 'string' ? values['renderer-dir'] : defaultRendererDir();
  return { host, port, rendererDir };
}

/**
 * `fluxdeck serve`: the desktop app's UI in a browser. It runs the engine and its controllers like `fluxdeck run`
 * (same flags; the kubeconfig's current context is connected unless --context names others) and serves the built
 * renderer plus the contract over a WebSocket, on loopback with a random token by default.
 */
export function createServeCommand(deps: ServeDeps): Command {
  return {
    name: 'serve',
    summary: 'Run the controllers and serve the Fluxdeck UI to a browser',
    usage:
      'fluxdeck serve [--host 127.0.0.1] [--port 0] [--kubeconfig F] [--context C ...|--all-contexts] [--data-dir D] [--read-only] [--log-level warn]',
    run: async (args, io) => {
      const started = await deps.startEngine(args, io);
      try {
        const flags = serveFlags(started.values);
        if (!isLoopback(flags.host))
          io.err(
            `fluxdeck serve: listening on ${flags.host}, not loopback: anyone who can reach it and has the token can act on your clusters.\n`,
          );
        const run = await runHeadless({
          engine: started.engine,
          logger: started.logger.child({ part: 'api' }),
          ...flags,
        });
        try {
          // The URL first: connecting a context can take long (an exec plugin asking for a login), and Ctrl-C must
          // work meanwhile.
          io.out(`Fluxdeck is serving on ${run.server.url}\n`);
          io.out('Open that URL in a browser (the token changes at every start). Press Ctrl-C to stop.\n');
          // The Notifications view's receiver setting, unless --receiver-addr already started the server.
          const receiver = await started.engine.notifications.applyStored();
          if (receiver.startedBy === 'setting' && receiver.url)
            io.err(`fluxdeck: webhook receivers listening on ${receiver.url}/hook/… (the Notifications setting)\n`);
          if (receiver.error) io.err(`fluxdeck: ${receiver.error}\n`);
          await Promise.race([started.connect(), untilAborted(io.signal)]);
          await untilAborted(io.signal);
          io.out('Stopping: closing connections, stopping controllers, releasing leases…\n');
        } finally {
          await run.close();
        }
      } finally {
        started.quiet();
        await started.engine.close();
      }
      return 0;
    },
  };
}

export const serveCommand: Command = createServeCommand({ startEngine });
