import { errorMessage } from '../util/errors.ts';
import { type CliIO, type Command, UsageError } from './command.ts';

/**
 * Every command the CLI knows, in the order `fluxdeck help` lists them, loaded on demand: `fluxdeck kustomize build`
 * should not pay for loading the Kubernetes client, nor `fluxdeck get` for the kustomize engine.
 */
export const commandLoaders: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./commands/run.ts')).runCommand,
  serve: async () => (await import('./commands/serve.ts')).serveCommand,
  get: async () => (await import('./commands/get.ts')).getCommand,
  events: async () => (await import('./commands/events.ts')).eventsCommand,
  reconcile: async () => (await import('./commands/reconcile.ts')).reconcileCommand,
  suspend: async () => (await import('./commands/suspend.ts')).suspendCommand,
  resume: async () => (await import('./commands/suspend.ts')).resumeCommand,
  tree: async () => (await import('./commands/tree.ts')).treeCommand,
  diff: async () => (await import('./commands/diff.ts')).diffCommand,
  'diff-objects': async () => (await import('./commands/diff-objects.ts')).diffObjectsCommand,
  push: async () => (await import('./commands/artifact.ts')).pushCommand,
  pull: async () => (await import('./commands/artifact.ts')).pullCommand,
  list: async () => (await import('./commands/artifact.ts')).listCommand,
  tag: async () => (await import('./commands/artifact.ts')).tagCommand,
  kustomize: async () => (await import('./commands/kustomize.ts')).kustomizeCommand,
  helm: async () => (await import('./commands/helm.ts')).helmCommand,
  stats: async () => (await import('./commands/stats.ts')).statsCommand,
  install: async () => (await import('./commands/install.ts')).installCommand,
  check: async () => (await import('./commands/check.ts')).checkCommand,
  uninstall: async () => (await import('./commands/uninstall.ts')).uninstallCommand,
  bootstrap: async () => (await import('./commands/bootstrap.ts')).bootstrapCommand,
  version: async () => (await import('./commands/version.ts')).versionCommand,
  image: async () => (await import('./commands/image.ts')).imageCommand,
};

async function help(): Promise<string> {
  const commands = await Promise.all(Object.values(commandLoaders).map((load) => load()));
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'fluxdeck: a desktop GitOps workstation running Flux-compatible controllers',
    '',
    'Usage: fluxdeck <command> [flags]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `fluxdeck <command> --help` for a command’s flags.',
  ].join('\n');
}

/** Runs one CLI invocation and returns its exit code; never calls process.exit itself. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out((await help()) + '\n');
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(commandLoaders, name) ? commandLoaders[name] : undefined;
  if (!load) {
    io.err(`fluxdeck: unknown command '${name}'\n\n${await help()}\n`);
    return 2;
  }
  const cmd = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${cmd.summary}\n\nUsage: ${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`fluxdeck ${cmd.name}: ${err.message}\nUsage: ${cmd.usage}\n`);
      return 2;
    }
    io.err(`fluxdeck ${cmd.name}: ${describeError(err)}\n`);
    return 1;
  }
}

/** An error and its chain of causes on one line each, so the user sees the root reason. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  let hint: string | undefined;
  for (let depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    parts.push(errorMessage(e));
    hint ??= hintOf(e);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join('\n  caused by: ') + (hint ? `\n  hint: ${hint}` : '');
}

/** Errors from main/kube carry a `hint` saying what to do; show it. */
function hintOf(e: unknown): string | undefined {
  const hint = e instanceof Error ? (e as Error & { hint?: unknown }).hint : undefined;
  return typeof hint === 'string' && hint !== '' ? hint : undefined;
}
