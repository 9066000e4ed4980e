import { parseArgs, type ParseArgsConfig } from 'node:util';

import { type ClusterClient, openCluster } from '../kube/cluster-client.ts';
import { kubeconfigPaths, loadKubeconfig } from '../kube/kubeconfig.ts';
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
export async function openFromFlags(flags: ClusterFlags): Promise<ClusterClient> {
  const paths = flags.kubeconfig ? flags.kubeconfig.split(':') : kubeconfigPaths();
  const { config } = await loadKubeconfig(paths);
  return openCluster(flags.context, { kubeconfig: config });
}

/** The namespace a command acts in: -n, else flux-system, as the flux CLI defaults. */
export function namespaceOf(flags: ClusterFlags): string {
  return flags.namespace ?? 'flux-system';
}
