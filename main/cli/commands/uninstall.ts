import { createInterface } from 'node:readline/promises';

import { uninstall } from '../../controllers/crds/uninstall.ts';
import { openFromFlags, parseCommand } from '../cluster-flags.ts';
import { type Command, UsageError } from '../command.ts';

const MARK = { done: '✔', planned: '◎', skipped: '–', failed: '✗' } as const;

/** Asks on the terminal; anything but y/yes is no, and so is the end of the input (no terminal: use --silent). */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once('close', () => resolve(''));
      rl.question(`${question} [y/N] `).then(resolve, () => resolve(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export const uninstallCommand: Command = {
  name: 'uninstall',
  summary:
    "Remove Flux's controllers (as flux uninstall does), Fluxdeck's CRDs, Lease and namespace from a cluster; workloads stay (finalizers removed first)",
  usage:
    'fluxdeck uninstall [--keep-crds] [--keep-namespace] [--namespace flux-system] [--dry-run] [--silent] [--kubeconfig F] [--context C]',
  run: async (args, io) => {
    const { flags, values, positionals } = parseCommand(args, {
      'keep-crds': { type: 'boolean' },
      'keep-namespace': { type: 'boolean' },
      'lease-namespace': { type: 'string' },
      'dry-run': { type: 'boolean' },
      silent: { type: 'boolean', short: 's' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}'`);
    const dryRun = values['dry-run'] === true;
    const namespace = flags.namespace ?? 'flux-system';
    const client = await openFromFlags(flags);
    try {
      if (!dryRun && values.silent !== true) {
        const what =
          values['keep-crds'] === true ? 'the Flux objects’ finalizers' : 'the Flux CRDs and every Flux object';
        if (!(await confirm(`Delete Flux's controllers and ${what} in context ${client.context}? Workloads stay.`))) {
          io.err('✗ uninstall cancelled\n');
          return 1;
        }
      }
      const steps = await uninstall(client, {
        keepCrds: values['keep-crds'] === true,
        keepNamespace: values['keep-namespace'] === true,
        namespace,
        leaseNamespace: (values['lease-namespace'] as string | undefined) ?? 'kube-system',
        dryRun,
        signal: io.signal,
      });
      io.out(
        steps.map((s) => `${MARK[s.status]} ${s.text}${s.status === 'planned' ? ' (dry run)' : ''}`).join('\n') + '\n',
      );
      if (steps.some((s) => s.status === 'failed')) {
        io.err(`✗ uninstall incomplete in context ${client.context}\n`);
        return 1;
      }
      io.out(`✔ ${dryRun ? 'dry run finished' : 'uninstall finished'} in context ${client.context}\n`);
      return 0;
    } finally {
      client.close();
    }
  },
};
