import { type CrdInstallResult, installFluxCrds } from '../../controllers/crds/install-flux-crds.ts';
import { openFromFlags, parseCommand } from '../cluster-flags.ts';
import { type Command, UsageError } from '../command.ts';

const VERB: Record<CrdInstallResult['action'], [done: string, planned: string]> = {
  installed: ['installed', 'would install'],
  updated: ['updated', 'would update'],
  unchanged: ['unchanged', 'unchanged'],
  existing: ['using existing', 'would use existing'],
  failed: ['failed', 'failed'],
};

/** One line per CRD, the way `flux install` reports: ✔ for done, ◎ for planned, ✗ for failed, ⚠ for warnings. */
export function formatInstallResults(results: CrdInstallResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const [done, planned] = VERB[r.action];
    const mark = r.action === 'failed' ? '✗' : r.dryRun && r.action !== 'unchanged' ? '◎' : '✔';
    const owner = r.action === 'existing' ? ` ${r.owner === 'flux' ? 'Flux' : 'third-party'} CRD` : '';
    lines.push(`${mark} ${r.dryRun ? planned : done}${owner} ${r.name} (${r.servedVersions.join(', ')})`);
    if (r.warning) lines.push(`  ⚠ ${r.warning}`);
    for (let e: unknown = r.error; e instanceof Error; e = e.cause) lines.push(`  ${e.message}`);
  }
  return lines.join('\n') + '\n';
}

export const installCommand: Command = {
  name: 'install',
  summary: "Install Fluxdeck's Flux CRDs into a cluster; Flux's own CRDs are used as they are",
  usage: 'fluxdeck install [--kubeconfig F] [--context C] [--dry-run] [--timeout 5m]',
  run: async (args, io) => {
    const { flags, values, positionals } = parseCommand(args, { 'dry-run': { type: 'boolean' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}'`);
    const dryRun = values['dry-run'] === true;
    const client = await openFromFlags(flags);
    try {
      const results = await installFluxCrds(client, {
        dryRun,
        establishTimeoutMs: flags.timeoutMs,
        signal: io.signal,
      });
      // Discovery cached before the install does not know the new kinds yet.
      client.mapper.invalidate();
      io.out(formatInstallResults(results));
      const failed = results.filter((r) => r.action === 'failed').length;
      if (failed > 0) {
        io.err(`✗ ${failed} of ${results.length} CRDs could not be installed in context ${client.context}\n`);
        return 1;
      }
      io.out(`✔ ${dryRun ? 'dry run finished' : 'Flux CRDs ready'} in context ${client.context}\n`);
      return 0;
    } finally {
      client.close();
    }
  },
};
