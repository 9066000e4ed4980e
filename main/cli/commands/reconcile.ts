import { describeFluxRef, requestReconcile } from '../../controllers/requests/flux-requests.ts';
import { namespaceOf, openFromFlags, parseCommand } from '../cluster-flags.ts';
import { type Command, UsageError } from '../command.ts';
import { kindFromWords } from '../kind-words.ts';

/**
 * `fluxdeck reconcile <kind> NAME [--with-source]`: annotate and wait, exactly as `flux reconcile` does, so it also
 * drives in-cluster Flux and a `fluxdeck run` in another process.
 */
export const reconcileCommand: Command = {
  name: 'reconcile',
  summary: 'Request a reconcile and wait for its result (flux reconcile)',
  usage:
    'fluxdeck reconcile (source git|kustomization|helmrelease|receiver|...) NAME [--with-source] [--force] [-n NS] [--timeout 5m]',
  run: async (args, io) => {
    const { flags, values, positionals } = parseCommand(args, {
      'with-source': { type: 'boolean' },
      force: { type: 'boolean' },
    });
    const { kind, rest } = kindFromWords(positionals, 'reconcile');
    const name = rest[0];
    if (!name) throw new UsageError(`reconcile ${kind.kind}: NAME is required`);
    const client = await openFromFlags(flags);
    try {
      const ref = { kind, namespace: namespaceOf(flags), name };
      const result = await requestReconcile(client, ref, {
        withSource: values['with-source'] === true,
        force: values.force === true,
        timeoutMs: flags.timeoutMs,
        signal: io.signal,
        progress: (m) => io.err(`► ${m}\n`),
      });
      if (!result.ready) {
        io.err(`✗ ${describeFluxRef(ref)} reconciliation failed: ${result.message}\n`);
        return 1;
      }
      io.err(`✔ ${describeFluxRef(ref)} reconciled: ${result.message}\n`);
      return 0;
    } finally {
      client.close();
    }
  },
};
