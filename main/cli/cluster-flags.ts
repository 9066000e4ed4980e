import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { type ClusterClient, openCluster } from '../kube/cluster-client.ts';
import { type Kubeconfig, kubeconfigPaths, loadKubeconfig } from '../kube/kubeconfig.ts';
import { errorMessage } from '../util/errors.ts';
import { UsageError } from './command.ts';

/** Flags every cluster command takes, as the `flux` CLI names them. */
export const clusterFlagOptions = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  timeout: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export interface ClusterFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces: boolean;
  timeoutMs: number;
}

/**
 * Parses the command's arguments with the cluster flags plus its own. Unknown flags are a usage error, like the
 * flux CLI's.
 */
export function parseCommand(
  args: string[],
  own: NonNullable<ParseArgsConfig['options']>,
): { flags: ClusterFlags; values: Record<string, unknown>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...clusterFlagOptions, ...own }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values as Record<string, unknown>;
  const timeout = typeof v.timeout === 'string' ? parseTimeout(v.timeout) : 5 * 60_000;
  return {
    flags: {
      kubeconfig: v.kubeconfig as string | undefined,
      context: v.context as string | undefined,
      namespace: v.namespace as string | undefined,
      allNamespaces: v['all-namespaces'] === true,
      timeoutMs: timeout,
    },
    values: v,
    positionals: parsed.positionals,
  };
}

function parseTimeout(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!m) throw new UsageError(`--timeout ${text}: use a duration such as 30s, 5m or 1h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

/** Opens the cluster the flags name: --kubeconfig (or $KUBECONFIG, ~/.kube/config) and --context. */
export async function openFromFlags(flags: Pick<ClusterFlags, 'kubeconfig' | 'context'>): Promise<ClusterClient> {
  return (await openWithConfig(flags)).client;
}

/**
 * As openFromFlags, also handing back the kubeconfig it read: commands that run the Helm helper give it the same
 * context (as YAML in memory) that the TypeScript client uses.
 */
export async function openWithConfig(
  flags: Pick<ClusterFlags, 'kubeconfig' | 'context'>,
): Promise<{ client: ClusterClient; config: Kubeconfig }> {
  const { config, problems } = await loadKubeconfig(kubeconfigFlagPaths(flags));
  try {
    return { client: await openCluster(flags.context, { kubeconfig: config }), config };
  } catch (err) {
    // "No current-context" is rarely the real story when a file could not be read: say what was wrong with it.
    if (problems.length === 0) throw err;
    throw new Error(`${problems.map((p) => p.message).join('\n')}\n(${errorMessage(err)})`, { cause: err });
  }
}

/**
 * The kubeconfig files to read: `--kubeconfig` (which must exist, as kubectl requires) or $KUBECONFIG / ~/.kube/config
 * (missing ones skipped, as kubectl does).
 */
export function kubeconfigFlagPaths(flags: Pick<ClusterFlags, 'kubeconfig'>): string[] {
  if (!flags.kubeconfig) return kubeconfigPaths();
  const paths = flags.kubeconfig.split(':').filter((p) => p !== '');
  for (const p of paths) if (!existsSync(p)) throw new UsageError(`--kubeconfig ${p}: no such file`);
  return paths;
}

/** The namespace a command acts in: -n, else flux-system, as the flux CLI defaults. */
export function namespaceOf(flags: ClusterFlags): string {
  return flags.namespace ?? 'flux-system';
}
