import { formatChecks, installChecks, preChecks } from '../../controllers/crds/cluster-check.ts';
import { openFromFlags, parseCommand } from '../cluster-flags.ts';
import { type Command, UsageError } from '../command.ts';

export const checkCommand: Command = {
  name: 'check',
  summary:
    'Check a cluster: before installing (--pre: Kubernetes version, RBAC), or after (CRDs, controllers, sources)',
  usage: 'fluxdeck check [--pre] [--kubeconfig F] [--context C] [--lease-namespace kube-system]',
  run: async (args, io) => {
    const { flags, values, positionals } = parseCommand(args, {
      pre: { type: 'boolean' },
      'lease-namespace': { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}'`);
    const client = await openFromFlags(flags);
    try {
      const pre = await preChecks(client, io.signal);
      io.out(formatChecks('checking prerequisites', pre));
      let all = pre;
      if (values.pre !== true) {
        const after = await installChecks(client, {
          leaseNamespace: (values['lease-namespace'] as string | undefined) ?? 'kube-system',
          signal: io.signal,
        });
        io.out(formatChecks('checking CRDs, controllers and sources', after));
        all = [...pre, ...after];
      }
      const failed = all.filter((l) => l.status === 'fail').length;
      if (failed > 0) {
        io.err(`✗ ${failed} check${failed === 1 ? '' : 's'} failed in context ${client.context}\n`);
        return 1;
      }
      io.out(`✔ all checks passed in context ${client.context}\n`);
      return 0;
    } finally {
      client.close();
    }
  },
};
