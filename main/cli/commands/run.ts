import { createFluxdeck, type Fluxdeck } from '../../create-fluxdeck.ts';
import { parseDuration } from '../../flux/duration.ts';
import { errorMessage } from '../../util/errors.ts';
import { createLogger, type LogLevel } from '../../util/logger.ts';
import { kubeconfigFlagPaths, parseCommand } from '../cluster-flags.ts';
import { type CliIO, type Command, UsageError } from '../command.ts';

/** Flags shared by `run` and `serve`: which clusters, where data goes, how this instance identifies itself. */
export const engineFlagOptions = {
  'all-contexts': { type: 'boolean' },
  'data-dir': { type: 'string' },
  identity: { type: 'string' },
  'lease-namespace': { type: 'string' },
  /** As Flux's controllers' flag: how long a stopped leader keeps the cluster before a standby takes over. */
  'leader-election-lease-duration': { type: 'string' },
  'read-only': { type: 'boolean' },
  'log-level': { type: 'string' },
  /** The base of artifact URLs (source-controller's address when Flux runs outside flux-system or the cluster). */
  'artifact-url': { type: 'string' },
  /** Flux Receivers' webhook server, off unless given. */
  'receiver-addr': { type: 'string' },
} as const;

export interface EngineFlags {
  contexts: string[];
  allContexts: boolean;
  fluxdeck: Fluxdeck;
}

/** Builds the engine from the parsed flags (shared with `fluxdeck serve`). */
export async function engineFromArgs(
  args: string[],
  io: CliIO,
  own: Parameters<typeof parseCommand>[1] = {},
): Promise<EngineFlags & { values: Record<string, unknown> }> {
  const { flags, values, positionals } = parseCommand(args, {
    ...engineFlagOptions,
    ...own,
    context: { type: 'string', multiple: true },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}'`);
  const level = (values['log-level'] as string | undefined) ?? 'warn';
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new UsageError(`--log-level ${level}: use debug, info, warn or error`);
  const artifactUrl = values['artifact-url'];
  if (typeof artifactUrl === 'string' && !/^https?:\/\/[^/]+/.test(artifactUrl))
    throw new UsageError(
      `--artifact-url ${artifactUrl}: give source-controller's address, e.g. http://source-controller.flux.svc.cluster.local.`,
    );
  const leaseDurationMs = leaseDurationFlag(values['leader-election-lease-duration']);
  const fluxdeck = await createFluxdeck({
    ...(flags.kubeconfig ? { kubeconfigPaths: kubeconfigFlagPaths(flags) } : {}),
    ...(typeof values['data-dir'] === 'string' ? { dataDir: values['data-dir'] } : {}),
    ...(typeof values.identity === 'string' ? { identity: values.identity } : {}),
    ...(typeof values['lease-namespace'] === 'string' ? { leaseNamespace: values['lease-namespace'] } : {}),
    ...(leaseDurationMs !== undefined ? { leaseDurationMs } : {}),
    ...(typeof artifactUrl === 'string' ? { artifactBaseUrl: artifactUrl } : {}),
    reconcile: values['read-only'] !== true,
    logger: createLogger({ write: (line) => io.err(`${line}\n`) }, level as LogLevel),
  });
  for (const p of fluxdeck.kubeconfigs.current().problems) io.err(`! kubeconfig: ${p.message}\n`);
  if (typeof values['receiver-addr'] === 'string') {
    try {
      const receiver = await fluxdeck.startReceiver(values['receiver-addr']);
      io.err(`fluxdeck: webhook receivers listening on ${receiver.url}/hook/…\n`);
    } catch (err) {
      await fluxdeck.stop();
      throw new UsageError(`--receiver-addr ${values['receiver-addr']}: ${errorMessage(err)}`);
    }
  }
  const contexts = (values.context as string[] | undefined) ?? [];
  return { fluxdeck, contexts, allContexts: values['all-contexts'] === true, values };
}

/** The lease's duration in ms: a Go duration of at least 3 s (renewals come every seventh of it). */
function leaseDurationFlag(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const flag = '--leader-election-lease-duration';
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    throw new UsageError(`${flag} ${value}: ${errorMessage(err)}`, { cause: err });
  }
  if (ms < 3000) throw new UsageError(`${flag} ${value}: give at least 3s (the default is 15s)`);
  return ms;
}

/** Connects the contexts the flags name (default: the kubeconfig's current context); failures are reported, not fatal. */
export async function connectContexts(e: EngineFlags, io: CliIO, opts: { noneIsFine?: boolean } = {}): Promise<number> {
  const { config } = e.fluxdeck.kubeconfigs.current();
  const names = e.allContexts
    ? [...config.contexts.keys()]
    : e.contexts.length > 0
      ? e.contexts
      : config.currentContext
        ? [config.currentContext]
        : [];
  if (names.length === 0 && opts.noneIsFine) {
    io.err('No kubeconfig context to connect yet: the UI shows how to add one.\n');
    return 0;
  }
  if (names.length === 0)
    throw new UsageError('no context to connect: pass --context NAME or set a current context in your kubeconfig');
  // All at once: each connect waits on its apiserver (discovery, first lists), so one after another made `serve
  // --all-contexts` show its third cluster only after the first two were fully up (bench serve); a slow or
  // unreachable cluster no longer delays the others.
  const outcomes = await Promise.all(
    names.map((name) =>
      e.fluxdeck.connect(name).then(
        () => true,
        (err: unknown) => {
          io.err(`✗ ${errorMessage(err)}\n`);
          return false;
        },
      ),
    ),
  );
  return outcomes.filter(Boolean).length;
}

/** Prints what the engine does, one line per reconcile result, Flux event and cluster state change. */
export function reportActivity(fluxdeck: Fluxdeck, io: CliIO): () => void {
  const offs = [
    fluxdeck.bus.on('reconcile.finished', (e) => {
      const what = `${e.cluster} ${e.kind} ${e.namespace}/${e.name}`;
      if (e.error ?? e.failure) io.err(`✗ ${what}: ${e.error ?? e.failure ?? ''}\n`);
      else io.err(`✔ ${what} reconciled in ${(e.durationMs / 1000).toFixed(1)}s\n`);
    }),
    fluxdeck.bus.on('flux.event', (e) => {
      if (e.type === 'Warning' || e.reason === 'NewArtifact' || e.drifted) {
        io.err(
          `${e.type === 'Warning' ? '!' : '•'} ${e.cluster} ${e.object.kind} ${e.object.namespace}/${e.object.name} ${e.reason}: ${e.message.replaceAll('\n', '; ')}\n`,
        );
      }
    }),
  ];
  const roles = new Map<string, string>();
  offs.push(
    fluxdeck.registry.onChange(() => {
      for (const s of fluxdeck.registry.connected()) {
        const line = `${s.status.state}${s.status.role ? ` (${s.status.role})` : ''}${s.status.message ? `: ${s.status.message}` : ''}`;
        if (roles.get(s.context) === line) continue;
        roles.set(s.context, line);
        io.err(`◎ ${s.context}: ${line}\n`);
      }
    }),
  );
  return () => {
    for (const off of offs) off();
  };
}

export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

export const runCommand: Command = {
  name: 'run',
  summary: 'Run the controllers against your clusters until interrupted (headless)',
  usage:
    'fluxdeck run [--kubeconfig F] [--context C ...|--all-contexts] [--data-dir D] [--identity ID] [--lease-namespace NS] [--leader-election-lease-duration 15s] [--artifact-url URL] [--read-only] [--log-level warn] [--receiver-addr HOST:PORT]',
  run: async (args, io) => {
    const engine = await engineFromArgs(args, io);
    const stopReporting = reportActivity(engine.fluxdeck, io);
    try {
      const connected = await connectContexts(engine, io);
      if (connected === 0) return 1;
      io.err(`fluxdeck run: ${connected} cluster(s) connected as ${engine.fluxdeck.identity}; press Ctrl-C to stop\n`);
      await untilAborted(io.signal);
      io.err('fluxdeck run: stopping (releasing leases)\n');
      return 0;
    } finally {
      stopReporting();
      await engine.fluxdeck.stop();
    }
  },
};
